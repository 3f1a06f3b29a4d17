/**
 * `VBoxManage --version`: `7.0.14r161095`, sometimes with a distribution tag
 * (`6.1.38_Ubuntur153438`). The Linux wrapper script prints warnings before it when the
 * kernel driver is missing; the version still parses, so the warning must be read too.
 */
export interface VBoxVersion {
  /** `7.0.14`. */
  version: string;
  major: number;
  minor: number;
  patch: number;
  revision: number;
  /** `Ubuntu`, `BETA1`...: the text between `_` and `r`, when present. */
  tag?: string;
}

export interface HostProblem {
  kind: 'vboxdrv-not-loaded';
  message: string;
  fix: string;
}

export interface VersionReport {
  version?: VBoxVersion;
  problems: HostProblem[];
  /** False when VirtualBox says VMs cannot start on this host. */
  healthy: boolean;
}

const VERSION_LINE = /^(\d+)\.(\d+)\.(\d+)(?:_([A-Za-z0-9_]+?))?r(\d+)$/;
const DEFAULT_DRIVER_FIX = 'sudo /sbin/vboxconfig';

export function parseVersionOutput(text: string): VersionReport {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, '').trim());

  let version: VBoxVersion | undefined;
  for (const line of lines) {
    const match = VERSION_LINE.exec(line);
    if (!match) continue;
    version = {
      version: `${match[1]}.${match[2]}.${match[3]}`,
      major: Number(match[1]),
      minor: Number(match[2]),
      patch: Number(match[3]),
      revision: Number(match[5]),
      ...(match[4] ? { tag: match[4] } : {}),
    };
  }

  const problems = findDriverProblems(text);
  return { ...(version ? { version } : {}), problems, healthy: problems.length === 0 };
}

export function isAtLeast(version: VBoxVersion, major: number, minor = 0): boolean {
  return version.major > major || (version.major === major && version.minor >= minor);
}

function findDriverProblems(text: string): HostProblem[] {
  const notLoaded = /vboxdrv kernel module is not loaded/i.test(text);
  const noDevice = /character device \/dev\/vboxdrv does not exist/i.test(text);
  if (!notLoaded && !noDevice) return [];

  // Use the command the warning itself recommends; it differs between packagings.
  const recommended = /^\s*(sudo\s+\S*vboxconfig\S*|sudo\s+\/\S+\/vboxdrv\.sh\s+setup)\s*$/im.exec(
    text,
  )?.[1];
  return [
    {
      kind: 'vboxdrv-not-loaded',
      message:
        'The VirtualBox kernel driver (vboxdrv) is not loaded on this host, so no VM can ' +
        'start.',
      fix: recommended ?? DEFAULT_DRIVER_FIX,
    },
  ];
}
