/**
 * A VM clock that drifted from the workstation's (after the laptop slept, say) breaks cabal's
 * recompilation checks: files synced from the workstation look older or newer than they are.
 */
import { shellCommand } from '../exec/shell-quote.ts';
import type { SshSession } from '../ssh/ssh-session.ts';

/** More than this is reported: cabal compares modification times at one-second resolution. */
export const DRIFT_LIMIT_MS = 1_000;

export interface ClockReading {
  vm: string;
  driftMs: number;
  drifted: boolean;
  canResync: boolean;
  command: string;
}

export async function readClock(vm: string, session: SshSession): Promise<ClockReading> {
  const before = Date.now();
  const result = await session.capture('date +%s.%N; sudo -n true 2>/dev/null && echo sudo-ok');
  const after = Date.now();
  const [stamp, sudo] = result.stdout.toString('utf8').trim().split('\n');
  const vmMs = Number(stamp) * 1000;
  if (!Number.isFinite(vmMs)) throw new Error(`${vm} answered "${stamp}" to date +%s.%N`);
  const driftMs = Math.round(vmMs - (before + after) / 2);
  return {
    vm,
    driftMs,
    drifted: Math.abs(driftMs) > DRIFT_LIMIT_MS,
    canResync: sudo === 'sudo-ok',
    command: `ssh ${vm} "sudo date -s @$(date +%s.%N)"`,
  };
}

/** Sets the VM clock to the workstation's time, corrected for half the round trip. */
export async function resyncClock(vm: string, session: SshSession): Promise<ClockReading> {
  const probe = await readClock(vm, session);
  if (!probe.canResync) return probe;
  const started = Date.now();
  await session.capture('true');
  const halfTrip = (Date.now() - started) / 2;
  const target = ((Date.now() + halfTrip) / 1000).toFixed(3);
  await session.capture(shellCommand(['sudo', '-n', 'date', '-s', `@${target}`]));
  return readClock(vm, session);
}
