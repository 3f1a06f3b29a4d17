import { UserError } from '../errors.ts';

export const GUEST_IP_PROPERTY = '/VirtualBox/GuestInfo/Net/0/V4/IP';

/**
 * `VBoxManage guestproperty get <vm> <property>` prints `Value: x`, or `No value set!` while
 * the Guest Additions have not reported it yet; the exit status does not tell them apart.
 * Returns undefined for "no value yet" and throws on output that is neither.
 */
export function parseGuestProperty(text: string): string | undefined {
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '').trim();
    if (/^No value set!?$/i.test(line)) return undefined;
    const value = /^Value:\s*(.*)$/.exec(line)?.[1];
    if (value !== undefined) return value.trim() === '' ? undefined : value.trim();
  }
  throw new UserError(
    'vbox-unexpected-output',
    `VBoxManage guestproperty get printed something unexpected: ${firstLine(text)}`,
    'Check that the VM exists and that VirtualBox 7.0 or newer is installed on the host.',
  );
}

function firstLine(text: string): string {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '');
  return line ? JSON.stringify(line.trim().slice(0, 200)) : '(nothing)';
}
