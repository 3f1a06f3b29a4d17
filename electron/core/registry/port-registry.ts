import { readFile } from 'node:fs/promises';

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

import { UserError } from '../errors.ts';

export const PORT_RANGE = { first: 12221, last: 12230 } as const;

export interface MachineEntry {
  /** The SSH alias and the VM's name in VirtualBox. */
  name: string;
  /** The reverse-tunnel port on the workstation: `ssh -p <port> <user>@localhost`. */
  port: number;
  user: string;
  /** Where the tunnel ends, seen from the panel; the workstation itself in every normal setup. */
  host: string;
  /** The line of the entry in the file, for messages. */
  line: number;
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const USER_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;
const HOST_PATTERN = /^[A-Za-z0-9.:-]{1,253}$/;
const KNOWN_KEYS = new Set(['name', 'port', 'user', 'host']);

export function registryError(file: string, line: number, problem: string, fix: string) {
  return new UserError('registry-invalid', `${file}:${line}: ${problem}`, fix);
}

/**
 * Parses port-registry.yml. Every problem is reported with the line it is on, because the file
 * is edited by hand and by the panel alike.
 */
export function parsePortRegistry(text: string, file = 'port-registry.yml'): MachineEntry[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined) =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 1;

  const syntaxError = document.errors[0];
  if (syntaxError) {
    // linePos is only filled in with prettyErrors, so the line comes from the offset instead;
    // an error found at the end of the text (an unclosed quote) is put on the last line.
    const lastLine = text.trimEnd().split('\n').length;
    const line = Math.min(lineCounter.linePos(syntaxError.pos[0]).line, lastLine);
    const reason = syntaxError.message.split('\n')[0] ?? 'invalid YAML';
    throw registryError(file, line, `not valid YAML: ${reason}`, 'Fix the YAML syntax there.');
  }

  const root = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) {
    throw registryError(
      file,
      lineOf(root),
      'expected a mapping with a `machines:` list',
      'Start the file with `machines:` followed by one `- name: ...` item per VM.',
    );
  }

  // A misspelt `machines:` would otherwise read as an empty registry.
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (key !== 'machines') {
      throw registryError(
        file,
        lineOf(pair.key as Node),
        `unknown top-level key \`${key}\``,
        'The file holds only a `machines:` list.',
      );
    }
  }

  const machinesNode = root.get('machines', true) as Node | undefined;
  if (machinesNode === undefined || (isScalar(machinesNode) && machinesNode.value === null)) {
    return [];
  }
  if (!isSeq(machinesNode)) {
    throw registryError(
      file,
      lineOf(machinesNode),
      '`machines` must be a list',
      'Write one `- name: ...` item per VM under `machines:`.',
    );
  }

  const entries: MachineEntry[] = [];
  for (const item of machinesNode.items) {
    entries.push(parseEntry(item as Node, file, lineOf));
  }
  checkUnique(entries, file);
  return entries;
}

function parseEntry(item: Node, file: string, lineOf: (node: Node) => number): MachineEntry {
  const line = lineOf(item);
  if (!isMap(item)) {
    throw registryError(
      file,
      line,
      'a machine must be a mapping with name, port and user',
      'Write it as `- name: haskell-build` with `port:` and `user:` on the next lines.',
    );
  }

  for (const pair of item.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (!KNOWN_KEYS.has(key)) {
      throw registryError(
        file,
        lineOf(pair.key as Node),
        `unknown key \`${key}\``,
        'Use only name, port, user and host.',
      );
    }
  }

  const field = (key: string) => {
    const node = item.get(key, true) as Node | undefined;
    return { node, value: node && isScalar(node) ? node.value : undefined };
  };

  const name = field('name');
  if (typeof name.value !== 'string' || !NAME_PATTERN.test(name.value)) {
    throw registryError(
      file,
      name.node ? lineOf(name.node) : line,
      `machine name ${JSON.stringify(name.value ?? null)} is missing or invalid`,
      'Use lower-case letters, digits and dashes, e.g. `name: haskell-build`.',
    );
  }

  const port = field('port');
  const portValue = port.value;
  if (typeof portValue !== 'number' || !Number.isInteger(portValue)) {
    throw registryError(
      file,
      port.node ? lineOf(port.node) : line,
      `machine ${name.value}: port ${JSON.stringify(portValue ?? null)} is not a whole number`,
      `Give a port from ${PORT_RANGE.first} to ${PORT_RANGE.last}.`,
    );
  }
  if (portValue < PORT_RANGE.first || portValue > PORT_RANGE.last) {
    throw registryError(
      file,
      lineOf(port.node!),
      `machine ${name.value}: port ${portValue} is outside ${PORT_RANGE.first}-${PORT_RANGE.last}`,
      `Pick an unused port from ${PORT_RANGE.first} to ${PORT_RANGE.last}.`,
    );
  }

  const user = field('user');
  const userValue = user.value ?? 'builder';
  if (typeof userValue !== 'string' || !USER_PATTERN.test(userValue)) {
    throw registryError(
      file,
      user.node ? lineOf(user.node) : line,
      `machine ${name.value}: user ${JSON.stringify(userValue)} is not a valid user name`,
      'Use the VM account the build key logs in as, normally `builder`.',
    );
  }

  const host = field('host');
  const hostValue = host.value ?? 'localhost';
  if (typeof hostValue !== 'string' || !HOST_PATTERN.test(hostValue)) {
    throw registryError(
      file,
      host.node ? lineOf(host.node) : line,
      `machine ${name.value}: host ${JSON.stringify(hostValue)} is not a host name`,
      'Leave `host` out (the tunnel ends on this workstation) or give a host name.',
    );
  }

  return { name: name.value, port: portValue, user: userValue, host: hostValue, line };
}

function checkUnique(entries: MachineEntry[], file: string): void {
  const byName = new Map<string, MachineEntry>();
  const byPort = new Map<number, MachineEntry>();
  for (const entry of entries) {
    const sameName = byName.get(entry.name);
    if (sameName) {
      throw registryError(
        file,
        entry.line,
        `machine ${entry.name} is listed twice (first on line ${sameName.line})`,
        'Remove one of the two entries.',
      );
    }
    const samePort = byPort.get(entry.port);
    if (samePort) {
      throw registryError(
        file,
        entry.line,
        `port ${entry.port} of ${entry.name} is already used by ${samePort.name} ` +
          `(line ${samePort.line})`,
        'Each VM needs its own tunnel port: pick a free one.',
      );
    }
    byName.set(entry.name, entry);
    byPort.set(entry.port, entry);
  }
}

export async function loadPortRegistry(file: string): Promise<MachineEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(
        'registry-missing',
        `port registry ${file} does not exist`,
        'Create it with a `machines:` list, or point the panel at yours with --registry.',
      );
    }
    throw error;
  }
  return parsePortRegistry(text, file);
}
