/** The VM lifecycle actions beside the cards: import an OVA, VirtualBox hosts (issue 3). */
export function VmsAside() {
  return null;
}
