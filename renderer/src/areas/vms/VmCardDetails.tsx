/** VirtualBox state, boot stages and actions on a VM card (issue 3). */
export function VmCardDetails({ vm }: { vm: string }) {
  void vm;
  return null;
}
