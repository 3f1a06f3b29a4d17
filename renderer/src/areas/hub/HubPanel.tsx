/** The State Hub catalog, credentials and SSH config (issue 5). */
export function HubPanel() {
  return null;
}
