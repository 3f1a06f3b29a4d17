/**
 * Machine states as `showvminfo --machinereadable` prints them (`VMState=`). VirtualBox adds
 * states from time to time, so anything else is kept as 'unknown' with the raw text rather
 * than guessed.
 */
export const KNOWN_VM_STATES = [
  'poweroff',
  'saved',
  'teleported',
  'aborted',
  'aborted-saved',
  'running',
  'paused',
  'stuck',
  'teleporting',
  'livesnapshotting',
  'starting',
  'stopping',
  'saving',
  'restoring',
  'teleportingpausedvm',
  'teleportingin',
  'faulttolerantsyncing',
  'deletingsnapshotlive',
  'deletingsnapshotlivepaused',
  'onlinesnapshotting',
  'restoringsnapshot',
  'deletingsnapshot',
  'settingup',
  'snapshotting',
] as const;

export type KnownVmState = (typeof KNOWN_VM_STATES)[number];

export type VmState = { kind: KnownVmState; raw: string } | { kind: 'unknown'; raw: string };

const KNOWN = new Set<string>(KNOWN_VM_STATES);

// MachineState_Stuck is printed as "gurumeditation" in machine-readable output.
const ALIASES: Record<string, KnownVmState> = { gurumeditation: 'stuck' };

export function parseVmState(raw: string): VmState {
  const text = raw.trim().toLowerCase();
  const alias = ALIASES[text];
  if (alias) return { kind: alias, raw };
  if (KNOWN.has(text)) return { kind: text as KnownVmState, raw };
  return { kind: 'unknown', raw };
}

const TRANSITIONAL = new Set<VmState['kind']>([
  'starting',
  'stopping',
  'saving',
  'restoring',
  'teleporting',
  'teleportingpausedvm',
  'teleportingin',
  'livesnapshotting',
  'onlinesnapshotting',
  'snapshotting',
  'deletingsnapshot',
  'deletingsnapshotlive',
  'deletingsnapshotlivepaused',
  'restoringsnapshot',
  'settingup',
  'faulttolerantsyncing',
]);

/** A state that will change on its own soon, so it is worth polling fast. */
export function isTransitional(state: VmState): boolean {
  return TRANSITIONAL.has(state.kind);
}

/** The VM process is gone: nothing will answer an ACPI button any more. */
export function isStopped(state: VmState): boolean {
  return (
    state.kind === 'poweroff' ||
    state.kind === 'aborted' ||
    state.kind === 'saved' ||
    state.kind === 'aborted-saved' ||
    state.kind === 'teleported'
  );
}
