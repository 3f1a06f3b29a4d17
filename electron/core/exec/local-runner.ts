import { execa } from 'execa';

import type { CommandResult, CommandRunner, RunOptions } from './command-runner.ts';

const KILL_GRACE_MS = 5_000;

/** Runs programs on this machine. Never through a shell: arguments go to the program as-is. */
export class LocalRunner implements CommandRunner {
  readonly host = 'local';

  async run(
    file: string,
    args: readonly string[],
    options: RunOptions = {},
  ): Promise<CommandResult> {
    const subprocess = execa(file, args, {
      reject: false,
      cwd: options.cwd,
      env: options.env,
      extendEnv: true,
      cancelSignal: options.signal,
      killSignal: options.killSignal ?? 'SIGTERM',
      forceKillAfterDelay: options.killGraceMs ?? KILL_GRACE_MS,
      timeout: options.timeoutMs,
      stdin: 'ignore',
      encoding: 'utf8',
      stripFinalNewline: false,
    });

    subprocess.stdout?.on('data', (chunk: Buffer) => options.onStdout?.(chunk.toString('utf8')));
    subprocess.stderr?.on('data', (chunk: Buffer) => options.onStderr?.(chunk.toString('utf8')));

    const result = await subprocess;
    if (result.failed && result.exitCode === undefined && !result.isCanceled && !result.timedOut) {
      // The program never ran (not found, not executable): say so rather than exit code "?".
      throw new Error(`could not run ${file}: ${result.shortMessage}`);
    }
    return {
      exitCode: result.exitCode ?? (result.isCanceled ? 130 : 1),
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
    };
  }
}
