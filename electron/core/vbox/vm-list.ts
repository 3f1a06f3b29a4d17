/** One line of `VBoxManage list vms` or `list runningvms`: `"name" {uuid}`. */
export interface VmListEntry {
  uuid: string;
  name: string;
  /** VirtualBox lists a VM whose settings it cannot read as `"<inaccessible>"`. */
  accessible: boolean;
}

const UUID_TAIL = /^\{([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}\s*$/i;

/**
 * Names are printed between quotes without escaping, so a name may itself hold quotes or
 * braces: the UUID is taken from the last `{` and the name is everything between the first
 * and the last quote before it. Lines that do not fit are skipped.
 */
export function parseVmList(text: string): VmListEntry[] {
  const entries: VmListEntry[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '').trim();
    const brace = line.lastIndexOf('{');
    if (brace < 0) continue;

    const uuid = UUID_TAIL.exec(line.slice(brace))?.[1];
    const head = line.slice(0, brace).trimEnd();
    if (!uuid || head.length < 2 || !head.startsWith('"') || !head.endsWith('"')) continue;

    const name = head.slice(1, -1);
    entries.push({ uuid: uuid.toLowerCase(), name, accessible: name !== '<inaccessible>' });
  }
  return entries;
}
