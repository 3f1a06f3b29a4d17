/**
 * Edits port-registry.yml for the panel: adds a machine with the lowest free tunnel port,
 * removes one. The file is the user's: edits go through yaml's Document API so comments, key
 * order and spacing stay, the result is validated with the same parser that reads it, and it
 * is written atomically. Edits to one file are serialised within this process.
 */
import { readFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';

import { isMap, isSeq, parseDocument, YAMLMap, YAMLSeq } from 'yaml';

import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { parsePortRegistry, PORT_RANGE, type MachineEntry } from './port-registry.ts';

export interface PortProbe {
  /** True when nothing accepts connections on the port and it can be bound. */
  isFree(port: number): Promise<boolean>;
}

const PROBE_TIMEOUT_MS = 1_000;

/**
 * A port is taken when something answers a connect on 127.0.0.1 (a VM's reverse tunnel, which
 * binds loopback) or when binding it fails (a listener on another address, a socket in use).
 */
export const loopbackProbe: PortProbe = {
  async isFree(port) {
    if (await answers(port)) return false;
    return canListen(port);
  },
};

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(true));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

export interface NewMachine {
  name: string;
  user?: string;
  /** A specific port; the lowest free one when not given. */
  port?: number;
}

const queues = new Map<string, Promise<unknown>>();

/** Runs edits of one file one after another, so two imports never take the same port. */
function serialised<T>(file: string, edit: () => Promise<T>): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  const next = previous.then(edit, edit);
  queues.set(
    file,
    next.catch(() => undefined),
  );
  return next;
}

async function readRegistry(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** The lowest port of the range that no entry claims and nothing listens on. */
export async function lowestFreePort(
  entries: readonly MachineEntry[],
  probe: PortProbe = loopbackProbe,
  file = 'port-registry.yml',
): Promise<number> {
  const claimed = new Set(entries.map((entry) => entry.port));
  const busy: number[] = [];
  for (let port = PORT_RANGE.first; port <= PORT_RANGE.last; port++) {
    if (claimed.has(port)) continue;
    if (await probe.isFree(port)) return port;
    busy.push(port);
  }
  throw new UserError(
    'registry-full',
    `no tunnel port is free in ${PORT_RANGE.first}-${PORT_RANGE.last}: ` +
      `${claimed.size} are listed in ${file}` +
      (busy.length > 0 ? ` and ${busy.join(', ')} ${busy.length === 1 ? 'is' : 'are'} in use` : ''),
    'Remove a VM you no longer use (its registry entry frees its port), or stop the program ' +
      'listening on an unlisted port.',
  );
}

/** Adds a machine and returns its entry; the name must be new. */
export function addMachine(
  file: string,
  machine: NewMachine,
  probe: PortProbe = loopbackProbe,
): Promise<MachineEntry> {
  return serialised(file, async () => {
    const text = await readRegistry(file);
    const entries = parsePortRegistry(text, file);
    const same = entries.find((entry) => entry.name === machine.name);
    if (same) {
      throw new UserError(
        'registry-name-taken',
        `${file}:${same.line}: a machine named ${machine.name} is already listed ` +
          `(port ${same.port})`,
        'Choose another VM name, or remove the old VM first.',
      );
    }
    let port = machine.port;
    if (port === undefined) {
      port = await lowestFreePort(entries, probe, file);
    } else if (!(await probe.isFree(port))) {
      throw portInUseError(port, machine.name);
    }

    // The parser above accepted the text, so the root is a mapping or empty.
    const document = parseDocument<YAMLMap, false>(text);
    if (!isMap(document.contents)) document.contents = new YAMLMap();
    const root = document.contents;
    let list: unknown = root.get('machines', true);
    if (!isSeq(list)) {
      list = new YAMLSeq();
      root.set('machines', list);
    }
    const item = document.createNode({
      name: machine.name,
      port,
      user: machine.user ?? 'builder',
    });
    (list as YAMLSeq).add(item);

    const edited = document.toString();
    // The edit is checked with the reader's own rules before it replaces the user's file.
    const after = parsePortRegistry(edited, file);
    await writeFileAtomic(file, edited);
    return after.find((entry) => entry.name === machine.name)!;
  });
}

/** Removes a machine's entry; returns whether there was one. */
export function removeMachine(file: string, name: string): Promise<boolean> {
  return serialised(file, async () => {
    const text = await readRegistry(file);
    const entries = parsePortRegistry(text, file);
    const index = entries.findIndex((entry) => entry.name === name);
    if (index < 0) return false;

    const document = parseDocument<YAMLMap, false>(text);
    const list = document.contents?.get('machines', true) as unknown as YAMLSeq;
    list.items.splice(index, 1);
    const edited = document.toString();
    parsePortRegistry(edited, file);
    await writeFileAtomic(file, edited);
    return true;
  });
}

export function portInUseError(port: number, vm: string): UserError {
  return new UserError(
    'port-in-use',
    `tunnel port ${port} of ${vm} is already in use on this workstation`,
    `Something else listens on 127.0.0.1:${port}: an old tunnel of a VM that was not shut ` +
      `down, or another program (see \`ss -ltnp 'sport = :${port}'\`). Stop it, or give ${vm} ` +
      'another port in port-registry.yml.',
  );
}

/** Checks, right before a start, that the VM's tunnel port is still free. */
export async function checkPortBeforeStart(
  entry: MachineEntry,
  probe: PortProbe = loopbackProbe,
): Promise<void> {
  if (!(await probe.isFree(entry.port))) throw portInUseError(entry.port, entry.name);
}
