/**
 * The VirtualBox hosts the panel manages: this computer, and machines reached over SSH (the
 * usual topology: the panel on the workstation, VirtualBox on a laptop). Kept in
 * vbox-hosts.json beside the settings; the local host is always there.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { z } from 'zod';

import { VboxHostSchema, type VboxHost } from '../api/contract-vms.ts';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';

export const LOCAL_HOST: VboxHost = { id: 'local', label: 'This computer', kind: 'local' };

const FileSchema = z.object({ hosts: z.array(VboxHostSchema) });

export class VboxHostStore {
  readonly file: string;

  constructor(configDir: string) {
    this.file = join(configDir, 'vbox-hosts.json');
  }

  async list(): Promise<VboxHost[]> {
    const saved = await this.read();
    const local = saved.find((host) => host.id === LOCAL_HOST.id);
    return [local ?? LOCAL_HOST, ...saved.filter((host) => host.id !== LOCAL_HOST.id)];
  }

  async get(id: string): Promise<VboxHost> {
    const host = (await this.list()).find((candidate) => candidate.id === id);
    if (!host) {
      throw new UserError(
        'vbox-host-unknown',
        `no VirtualBox host with id "${id}"`,
        'Add it under VirtualBox hosts, or use "local" for this computer.',
      );
    }
    return host;
  }

  async save(host: VboxHost): Promise<VboxHost> {
    checkHost(host);
    const others = (await this.read()).filter((candidate) => candidate.id !== host.id);
    await this.write([...others, host]);
    return host;
  }

  async remove(id: string): Promise<boolean> {
    if (id === LOCAL_HOST.id) {
      throw new UserError(
        'vbox-host-local',
        'this computer cannot be removed from the VirtualBox hosts',
        'Remove only hosts reached over SSH.',
      );
    }
    const hosts = await this.read();
    const kept = hosts.filter((host) => host.id !== id);
    if (kept.length === hosts.length) return false;
    await this.write(kept);
    return true;
  }

  private async read(): Promise<VboxHost[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new UserError(
        'vbox-hosts-invalid',
        `${this.file} is not valid JSON`,
        'Fix the file or delete it (this computer stays available).',
      );
    }
    const parsed = FileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UserError(
        'vbox-hosts-invalid',
        `${this.file}: ${issue?.path.join('.') || 'hosts'}: ${issue?.message}`,
        'Fix that field or delete the file.',
      );
    }
    return parsed.data.hosts;
  }

  private async write(hosts: VboxHost[]): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify({ hosts }, null, 2) + '\n', { mode: 0o600 });
  }
}

/** An SSH host needs every connection setting, the pinned key included: no trust on first use. */
export function checkHost(host: VboxHost): void {
  if (host.kind === 'local') {
    if (host.id !== LOCAL_HOST.id) {
      throw new UserError(
        'vbox-host-invalid',
        `host "${host.id}" is local, but only "local" can be`,
        'Set kind to "ssh" with host, user, key and host key.',
      );
    }
    return;
  }
  const missing = (['host', 'user', 'keyPath', 'hostKey'] as const).filter((key) => !host[key]);
  if (missing.length > 0) {
    throw new UserError(
      'vbox-host-invalid',
      `the VirtualBox host "${host.id}" is missing ${missing.join(', ')}`,
      'Give the address, the user, the private key that user accepts and the pinned host key ' +
        '(ssh-keyscan on a trusted network, or ssh-keygen -lf on that machine).',
    );
  }
}
