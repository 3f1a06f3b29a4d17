/**
 * The text of the SSH client configuration the panel manages: one host file per VM, and the
 * one `Include` line at the head of the user's ~/.ssh/config that pulls them in. Pure
 * functions, so the byte-for-byte promise about the user's own lines is easy to test.
 */
import { UserError } from '../errors.ts';

export const MANAGED_MARKER = '# Managed by Build Machines';
const INCLUDE_COMMENT =
  '# Added by Build Machines: its per-VM host entries. Remove both lines to undo.';

export interface HostEntry {
  /** The VM's name: the `Host` alias and the `HostKeyAlias` its key is pinned under. */
  name: string;
  /** Where the tunnel ends: the workstation itself. */
  hostName: string;
  port: number;
  user: string;
  identityFile: string;
  knownHostsFile: string;
}

// ssh_config has no escape for a double quote inside a quoted value, so such paths are refused.
function quoted(value: string, what: string): string {
  if (/["\r\n]/.test(value)) {
    throw new UserError(
      'ssh-config-bad-path',
      `${what} ${JSON.stringify(value)} contains a quote or line break, which ssh_config ` +
        'cannot express',
      `Move the file to a path without quotes or line breaks and point the settings at it.`,
    );
  }
  return /[\s#]/.test(value) ? `"${value}"` : value;
}

export function renderHostFile(entry: HostEntry): string {
  return [
    `${MANAGED_MARKER}: rewritten by \`make install-ssh-config\`; edits here are lost.`,
    `Host ${entry.name}`,
    `  HostName ${entry.hostName}`,
    `  Port ${entry.port}`,
    `  User ${entry.user}`,
    `  IdentityFile ${quoted(entry.identityFile, 'The build key path')}`,
    '  IdentitiesOnly yes',
    `  HostKeyAlias ${entry.name}`,
    `  UserKnownHostsFile ${quoted(entry.knownHostsFile, 'The known_hosts path')}`,
    '  StrictHostKeyChecking yes',
    '',
  ].join('\n');
}

export function includeLine(folder: string): string {
  return `Include ${quoted(`${folder}/*.conf`, 'The SSH config folder')}`;
}

/**
 * Whether the config already includes the folder where it counts: before the first Host or
 * Match line, since an Include inside a block only applies to that block.
 */
export function hasTopLevelInclude(config: string, line: string): boolean {
  for (const raw of config.split(/\r?\n/)) {
    const text = raw.trim();
    if (text === line) return true;
    if (/^(host|match)\b/i.test(text)) return false;
  }
  return false;
}

/**
 * The config with our Include at its head. The user's text follows unchanged, byte for byte,
 * so undoing it is removing the two lines we added.
 */
export function withInclude(config: string, line: string): { text: string; changed: boolean } {
  if (hasTopLevelInclude(config, line)) return { text: config, changed: false };
  const eol = config.includes('\r\n') ? '\r\n' : '\n';
  return { text: `${INCLUDE_COMMENT}${eol}${line}${eol}${config}`, changed: true };
}

/** The config without the two lines `withInclude` added; anything else stays. */
export function withoutInclude(config: string, line: string): string {
  for (const eol of ['\r\n', '\n']) {
    const head = `${INCLUDE_COMMENT}${eol}${line}${eol}`;
    if (config.startsWith(head)) return config.slice(head.length);
  }
  return config;
}

export function isManagedHostFile(text: string): boolean {
  return text.startsWith(MANAGED_MARKER);
}
