import { utimes } from 'node:fs/promises';
import { join } from 'node:path';

import { shellCommand } from '../../electron/core/exec/shell-quote.ts';
import type { SshSession } from '../../electron/core/ssh/ssh-session.ts';
import { scanLocalTree } from '../../electron/core/sync/local-scan.ts';
import { remoteManifestCommand } from '../../electron/core/sync/remote-sync.ts';
import { parseRemoteManifest, planSync } from '../../electron/core/sync/sync-plan.ts';
import { createTarStream } from '../../electron/core/sync/tar-writer.ts';
import { repeat, summarize, timed, withTimeout, type Summary } from './timing.ts';

const STEP_TIMEOUT_MS = 30_000;

export interface PhaseFigures {
  /** scanLocalTree alone. */
  localScan: Summary;
  /** An exec channel running `true` on the open connection: the floor of any remote step. */
  execRoundTrip: Summary;
  /** The manifest command syncProject runs (mkdir, cd, find) and its transfer. */
  remoteManifest: Summary;
  /** Scan and manifest at once, as syncProject runs them. */
  scanAndManifest: Summary;
  /** Parsing the manifest and planning. */
  plan: Summary;
  /** One changed file: the tar stream and `tar -x` on the VM. */
  uploadOneFile: Summary;
  manifestBytes: number;
}

/**
 * Times the steps of one sync separately, to show where a sync's time goes. The manifest command
 * mirrors the private one in remote-sync.ts; keep them alike.
 */
export async function measurePhases(
  session: SshSession,
  localRoot: string,
  remoteDir: string,
  editable: string,
  runs: number,
  budgetMs: number,
): Promise<PhaseFigures> {
  const step = <T>(work: () => Promise<T>) => withTimeout(work(), STEP_TIMEOUT_MS, 'a phase');
  const samples = {
    localScan: [] as number[],
    execRoundTrip: [] as number[],
    remoteManifest: [] as number[],
    scanAndManifest: [] as number[],
    plan: [] as number[],
    uploadOneFile: [] as number[],
  };
  let manifestBytes = 0;

  await repeat(runs, budgetMs, async () => {
    samples.localScan.push((await timed(() => step(() => scanLocalTree(localRoot)))).ms);
    samples.execRoundTrip.push((await timed(() => step(() => session.capture('true')))).ms);

    const manifest = await timed(() =>
      step(() => session.capture(remoteManifestCommand(remoteDir))),
    );
    samples.remoteManifest.push(manifest.ms);
    manifestBytes = manifest.value.stdout.length;

    const both = await timed(() =>
      step(() =>
        Promise.all([scanLocalTree(localRoot), session.capture(remoteManifestCommand(remoteDir))]),
      ),
    );
    samples.scanAndManifest.push(both.ms);

    const [local, remote] = both.value;
    const plan = await timed(async () =>
      planSync(local.files, parseRemoteManifest(remote.stdout), local.exclusions),
    );
    samples.plan.push(plan.ms);

    // Touching the file makes the next sync in the caller send it again; harmless here.
    const entry = local.files.find((file) => file.path === editable);
    if (!entry) throw new Error(`${editable} is not in the scanned tree`);
    const now = new Date();
    await utimes(join(localRoot, editable), now, now);
    const extract = shellCommand(['tar', '-x', '-f', '-', '-C', remoteDir, '--no-same-owner']);
    const sent = { ...entry, mtime: Math.floor(now.getTime() / 1000) };
    const upload = await timed(() =>
      step(() => session.exec(extract, { stdin: createTarStream(localRoot, [sent]) })),
    );
    if (upload.value.exitCode !== 0) throw new Error('tar -x on the VM failed while profiling');
    samples.uploadOneFile.push(upload.ms);
  });

  return {
    localScan: summarize(samples.localScan),
    execRoundTrip: summarize(samples.execRoundTrip),
    remoteManifest: summarize(samples.remoteManifest),
    scanAndManifest: summarize(samples.scanAndManifest),
    plan: summarize(samples.plan),
    uploadOneFile: summarize(samples.uploadOneFile),
    manifestBytes,
  };
}
