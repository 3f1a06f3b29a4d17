import { homedir } from 'node:os';
import { join } from 'node:path';

import { z } from 'zod';

import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readTextIfExists } from '../fs/read-text-if-exists.ts';

export const SettingsSchema = z.object({
  /** The port registry the panel reads; the repository's port-registry.yml by default. */
  registryPath: z.string().min(1).optional(),
  /** The build key the workstation uses to reach the VMs through their tunnels. */
  buildKeyPath: z.string().min(1).optional(),
  stateHubUrl: z.string().url().optional(),
});

export type Settings = z.infer<typeof SettingsSchema>;

export interface ResolvedSettings {
  registryPath: string;
  buildKeyPath: string;
  stateHubUrl: string;
}

export function settingsFile(configDir: string): string {
  return join(configDir, 'settings.json');
}

export async function loadSettings(configDir: string): Promise<Settings> {
  const file = settingsFile(configDir);
  const text = await readTextIfExists(file);
  if (text === undefined) return {};

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError('settings-invalid', `${file} is not valid JSON`, 'Fix or delete the file.');
  }
  const parsed = SettingsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      'settings-invalid',
      `${file}: ${issue?.path.join('.') || 'settings'}: ${issue?.message}`,
      'Fix that field or delete the file to use the defaults.',
    );
  }
  return parsed.data;
}

export async function saveSettings(configDir: string, settings: Settings): Promise<void> {
  await writeFileAtomic(settingsFile(configDir), JSON.stringify(settings, null, 2) + '\n');
}

/** Command-line flags and environment win over the settings file, which wins over defaults. */
export function resolveSettings(
  settings: Settings,
  overrides: Partial<ResolvedSettings>,
  defaults: { registryPath: string },
): ResolvedSettings {
  return {
    registryPath: overrides.registryPath ?? settings.registryPath ?? defaults.registryPath,
    buildKeyPath:
      overrides.buildKeyPath ?? settings.buildKeyPath ?? join(homedir(), '.ssh', 'id_build'),
    stateHubUrl: overrides.stateHubUrl ?? settings.stateHubUrl ?? 'http://127.0.0.1:8000',
  };
}
