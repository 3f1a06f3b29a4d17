/**
 * The "Virtual system N:" listing `VBoxManage import` prints before it imports: numbered
 * items (` 1: Suggested VM name "x"`), each followed by indented hints
 * (`(change with "--vsys 0 --vmname <name>")`). A Description may span lines that look like
 * items themselves (`Login: root`), and numbers of 10 and more lose the leading space.
 */
export interface ImportItem {
  unit: number;
  /** The item text, continuation lines joined with `\n`. */
  text: string;
  /** The `--vsys N ...` options the hints mention. */
  hints: string[];
}

export interface ImportDisk {
  unit: number;
  sourceImage?: string;
  targetPath?: string;
  controllerUnit?: number;
  port?: number;
}

export interface VirtualSystemPlan {
  index: number;
  items: ImportItem[];
  vmName?: string;
  osType?: string;
  description?: string;
  cpus?: number;
  memoryMb?: number;
  settingsFile?: string;
  baseFolder?: string;
  disks: ImportDisk[];
}

const SYSTEM_HEADER = /^\s*Virtual system (\d+):\s*$/;
const ITEM_LINE = /^\s*(\d+): (.*)$/;
const HINT_LINE = /^\s+\(?(?:change|disable)\b/;
const REAL_HINT = /^\s+\((?:change|disable)[^"]*"--vsys /;

export function parseImportPlan(text: string): VirtualSystemPlan[] {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  const systems: VirtualSystemPlan[] = [];
  let system: VirtualSystemPlan | undefined;
  let item: ImportItem | undefined;

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const header = SYSTEM_HEADER.exec(line);
    if (header) {
      system = { index: Number(header[1]), items: [], disks: [] };
      systems.push(system);
      item = undefined;
      continue;
    }
    if (!system) continue;

    const itemMatch = ITEM_LINE.exec(line);
    if (itemMatch) {
      item = { unit: Number(itemMatch[1]), text: itemMatch[2] ?? '', hints: [] };
      system.items.push(item);
      index = absorbOpenQuote(item, lines, index);
      continue;
    }

    if (item && /^\s/.test(line) && line.trim() !== '') {
      for (const match of line.matchAll(/"(--vsys [^"]*)"/g)) item.hints.push(match[1] ?? '');
      continue;
    }

    // A line that is neither an item nor a hint ends the listing (progress, "Successfully...").
    if (line.trim() !== '' || item) {
      system = undefined;
      item = undefined;
    }
  }

  for (const plan of systems) summarise(plan);
  return systems;
}

/**
 * A quoted value left open on its item line continues until a line that closes the quote and
 * is followed by a hint, the next item or the end of the listing.
 */
function absorbOpenQuote(item: ImportItem, lines: readonly string[], index: number): number {
  if (countQuotes(item.text) % 2 === 0) return index;
  for (let next = index + 1; next < lines.length; next++) {
    const line = lines[next] ?? '';
    // A real hint means the item ended on its own line, with an odd number of quotes in it.
    if (REAL_HINT.test(line)) return index;
    if (!line.trimEnd().endsWith('"')) continue;
    const after = lines[next + 1];
    const closesHere =
      after === undefined ||
      after.trim() === '' ||
      HINT_LINE.test(after) ||
      Number(ITEM_LINE.exec(after)?.[1]) === item.unit + 1;
    if (!closesHere) continue;
    item.text = [item.text, ...lines.slice(index + 1, next + 1)].join('\n');
    return next;
  }
  return index;
}

function countQuotes(text: string): number {
  return text.split('"').length - 1;
}

function summarise(plan: VirtualSystemPlan): void {
  for (const item of plan.items) {
    const text = item.text;
    const quoted = between(text);
    if (/^Suggested VM name\b/.test(text)) plan.vmName = quoted;
    else if (/^Suggested OS type\b/.test(text)) plan.osType = quoted;
    else if (/^Suggested VM settings file name\b/.test(text)) plan.settingsFile = quoted;
    else if (/^Suggested VM base folder\b/.test(text)) plan.baseFolder = quoted;
    else if (/^Description\b/.test(text)) plan.description = quoted;
    else if (/^Number of CPUs:/.test(text)) plan.cpus = integerAfterColon(text);
    else if (/^Guest memory:/.test(text)) plan.memoryMb = integerAfterColon(text);
    else if (/^Hard disk image:/.test(text)) plan.disks.push(parseDisk(item.unit, text));
  }
}

function between(text: string): string | undefined {
  const first = text.indexOf('"');
  const last = text.lastIndexOf('"');
  return first >= 0 && last > first ? text.slice(first + 1, last) : undefined;
}

function integerAfterColon(text: string): number | undefined {
  const match = /:\s*(\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

// "Hard disk image: source image=a.vmdk, target path=/x/a.vmdk, controller=11;port=0"
function parseDisk(unit: number, text: string): ImportDisk {
  const body = text.slice(text.indexOf(':') + 1);
  const source = /source image=(.*?)(?:, target path=|, controller=|$)/.exec(body)?.[1];
  const target = /target path=(.*?)(?:, controller=|$)/.exec(body)?.[1];
  const controller = /controller=(\d+)/.exec(body)?.[1];
  const port = /port=(\d+)/.exec(body)?.[1];
  return {
    unit,
    ...(source ? { sourceImage: source.trim() } : {}),
    ...(target ? { targetPath: target.trim() } : {}),
    ...(controller ? { controllerUnit: Number(controller) } : {}),
    ...(port ? { port: Number(port) } : {}),
  };
}
