import { createHash } from 'node:crypto';

import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextIfExists } from '../fs/read-text-if-exists.ts';

export interface HostKey {
  type: string;
  /** The key blob in base64, as it stands in a known_hosts line. */
  base64: string;
}

/** The SHA256 fingerprint in OpenSSH's notation, e.g. `SHA256:uNiVz...` (no padding). */
export function fingerprintOf(key: HostKey): string {
  const digest = createHash('sha256').update(Buffer.from(key.base64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** ssh2 hands the verifier the raw key blob; its first field is the key type. */
export function hostKeyFromBlob(blob: Buffer): HostKey {
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const type = blob.subarray(4, 4 + length).toString('latin1') || 'unknown';
  return { type, base64: blob.toString('base64') };
}

/**
 * Pinned host keys in OpenSSH known_hosts format, one line per VM with the VM's name as the host
 * (what `HostKeyAlias <vm>` matches), so the panel and the real `ssh` client share one file.
 */
export class HostKeyStore {
  constructor(readonly file: string) {}

  async get(alias: string): Promise<HostKey[]> {
    const lines = await this.readLines();
    const keys: HostKey[] = [];
    for (const line of lines) {
      const [hosts, type, base64] = line.trim().split(/\s+/);
      if (!hosts || !type || !base64 || hosts.startsWith('#')) continue;
      if (hosts.split(',').includes(alias)) keys.push({ type, base64 });
    }
    return keys;
  }

  /** Replaces the VM's pinned key; other lines, comments included, are kept as they are. */
  async pin(alias: string, key: HostKey): Promise<void> {
    const lines = await this.readLines();
    if (lines.at(-1) === '') lines.pop();

    const kept = lines.flatMap((line) => {
      const hosts = line.trim().split(/\s+/)[0] ?? '';
      const names = hosts.split(',');
      if (hosts.startsWith('#') || !names.includes(alias)) return [line];
      // A line shared with other hosts keeps their pin: only the alias leaves it.
      const others = names.filter((name) => name !== alias);
      return others.length > 0 ? [line.replace(hosts, others.join(','))] : [];
    });
    kept.push(`${alias} ${key.type} ${key.base64}`);
    await writeFileAtomic(this.file, kept.join('\n') + '\n', { mode: 0o600 });
  }

  private async readLines(): Promise<string[]> {
    return (await readTextIfExists(this.file))?.split('\n') ?? [];
  }
}

export function hostKeyUnknownError(alias: string, presented: HostKey): UserError {
  return new UserError(
    'host-key-unknown',
    `no host key is pinned for ${alias}; it presents ${presented.type} ${fingerprintOf(presented)}`,
    `If that fingerprint is the VM's (check on its console: ssh-keygen -lf ` +
      `/etc/ssh/ssh_host_ed25519_key.pub), trust it from the VM card or with ` +
      `\`bm trust-host-key ${alias} ${fingerprintOf(presented)}\`.`,
  );
}

export function hostKeyMismatchError(alias: string, pinned: HostKey[], presented: HostKey) {
  const expected = pinned.map((key) => `${key.type} ${fingerprintOf(key)}`).join(', ');
  return new UserError(
    'host-key-changed',
    `the host key of ${alias} changed: pinned ${expected}, presented ${presented.type} ` +
      `${fingerprintOf(presented)}; the connection was refused`,
    'If the VM was re-imported or its image rebuilt, accept the new key on the VM card ' +
      '(after checking it on the VM console); ' +
      'otherwise something else answers on its tunnel port.',
  );
}
