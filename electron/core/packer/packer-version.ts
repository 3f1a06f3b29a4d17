import type { CommandRunner } from '../exec/command-runner.ts';
import { UserError } from '../errors.ts';
import { parsePackerOutput } from './packer-output.ts';
import { summarizePackerEvents } from './packer-summary.ts';

/** required_plugins and `packer init` for HCL templates need Packer 1.10 or newer. */
export const MIN_PACKER_VERSION = '1.10.0';

const INSTALL_FIX =
  `Install Packer ${MIN_PACKER_VERSION} or newer from ` +
  "https://developer.hashicorp.com/packer/install (HashiCorp's apt repository or the zip) " +
  "and make sure `packer` on PATH is that one; distribution packages such as Debian's " +
  'packer 1.6.6 are too old.';

export interface PackerVersion {
  version: string;
  prerelease: string;
  commit: string;
}

/** Runs `packer -machine-readable version` and rejects a missing or too old Packer. */
export async function checkPackerVersion(
  runner: CommandRunner,
  packerPath = 'packer',
  signal?: AbortSignal,
): Promise<PackerVersion> {
  let result;
  try {
    result = await runner.run(packerPath, ['-machine-readable', 'version'], {
      signal,
      timeoutMs: 30_000,
    });
  } catch (error) {
    throw notInstalled(runner, packerPath, error);
  }
  // A remote shell reports a missing program as exit status 127.
  if (result.exitCode === 127) throw notInstalled(runner, packerPath, result.stderr.trim());

  const summary = summarizePackerEvents(parsePackerOutput(result.stdout));
  const version = summary.version ?? /Packer v(\d+\.\d+\.\d+)/.exec(result.stdout)?.[1];
  if (result.exitCode !== 0 || !version) {
    throw new UserError(
      'packer-version-unknown',
      `Could not read the Packer version on ${runner.host}: \`${packerPath} version\` ` +
        `exited with status ${result.exitCode}` +
        (result.stderr.trim() ? `: ${firstLine(result.stderr)}` : ''),
      INSTALL_FIX,
    );
  }

  if (compareVersions(version, MIN_PACKER_VERSION) < 0) {
    throw new UserError(
      'packer-too-old',
      `Packer ${version} on ${runner.host} is too old: the Haskell image template needs ` +
        `Packer ${MIN_PACKER_VERSION} or newer (for required_plugins and \`packer init\`).`,
      INSTALL_FIX,
    );
  }
  return { version, prerelease: summary.prerelease ?? '', commit: summary.commit ?? '' };
}

/** Compares dotted numeric versions: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const left = a.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  const right = b.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  for (let index = 0; index < 3; index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function notInstalled(runner: CommandRunner, packerPath: string, cause: unknown): UserError {
  return new UserError(
    'packer-missing',
    `Packer is not installed on ${runner.host}: could not run \`${packerPath}\`.`,
    INSTALL_FIX,
    { cause },
  );
}

function firstLine(text: string): string {
  return text.trim().split(/\r?\n/)[0] ?? '';
}
