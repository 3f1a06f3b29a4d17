/** GHCi terminals, artefacts and GHC versions (issue 6). */
export function WorkspacePanel() {
  return null;
}
