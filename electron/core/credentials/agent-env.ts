/**
 * build-agent.env, filled in from the image's template: the template's comments stay, so the
 * file on the VM still explains itself; only the values the agent needs are replaced.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { UserError } from '../errors.ts';

export const TEMPLATE_PATH = resolve(
  import.meta.dirname,
  '../../../packer/haskell/files/build-agent.env.template',
);

export interface AgentEnvValues {
  SSH_RELAY_HOST: string;
  SSH_RELAY_USER: string;
  SSH_RELAY_PORT: number;
  TUNNEL_PORT: number;
  STATE_HUB_PORT: number;
  VM_NAME: string;
  /** The workstation's host key line ("ssh-ed25519 AAAA... comment"). */
  RELAY_HOST_KEY: string;
}

const PATTERNS: Record<keyof AgentEnvValues, RegExp> = {
  SSH_RELAY_HOST: /^[A-Za-z0-9_.:][A-Za-z0-9_.:-]*$/,
  SSH_RELAY_USER: /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/,
  SSH_RELAY_PORT: /^\d{1,5}$/,
  TUNNEL_PORT: /^\d{1,5}$/,
  STATE_HUB_PORT: /^\d{1,5}$/,
  VM_NAME: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  RELAY_HOST_KEY: /^[A-Za-z0-9@.-]+ [A-Za-z0-9+/]+=*( [^"\\\r\n]*)?$/,
};

export async function readTemplate(path = TEMPLATE_PATH): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(
      'agent-env-template-missing',
      `cannot read the build-agent.env template ${path}: ${(error as Error).message}`,
      'Run the panel from the repository checkout, which holds packer/haskell/files.',
    );
  }
}

/** The template with every KEY=value line of `values` replaced; other lines unchanged. */
export function fillAgentEnv(template: string, values: AgentEnvValues): string {
  const pending = new Set(Object.keys(values) as (keyof AgentEnvValues)[]);
  for (const key of pending) {
    const value = String(values[key]);
    if (!PATTERNS[key].test(value)) {
      throw new UserError(
        'agent-env-invalid',
        `${key} ${JSON.stringify(value)} is not valid for build-agent.env`,
        key === 'RELAY_HOST_KEY'
          ? "Use the line of the workstation's /etc/ssh/ssh_host_ed25519_key.pub."
          : `Check the value given for ${key}.`,
      );
    }
  }

  const lines = template.split('\n').map((line) => {
    const match = /^([A-Z_]+)=/.exec(line);
    const key = match?.[1] as keyof AgentEnvValues | undefined;
    if (!key || !pending.has(key)) return line;
    pending.delete(key);
    const value = String(values[key]);
    return `${key}=${/\s/.test(value) ? `"${value}"` : value}`;
  });
  // A template without one of the keys (an older image) still gets it, at the end.
  const missing = [...pending].map((key) => {
    const value = String(values[key]);
    return `${key}=${/\s/.test(value) ? `"${value}"` : value}`;
  });
  const text = lines.join('\n');
  if (missing.length === 0) return text;
  return `${text}${text.endsWith('\n') ? '' : '\n'}${missing.join('\n')}\n`;
}
