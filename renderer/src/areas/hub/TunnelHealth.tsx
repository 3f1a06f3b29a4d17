/** Tunnel health on a VM card (issue 5). */
export function TunnelHealth({ vm }: { vm: string }) {
  void vm;
  return null;
}
