/**
 * Runs a program with an argument array on some host: this machine (execa) or a remote one
 * (an ssh2 exec channel). Drivers for VBoxManage and Packer take a CommandRunner so the same
 * code works when VirtualBox lives on another machine.
 */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Called with each chunk of stdout as it arrives (progress output, machine-readable logs). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Aborting stops the process: `killSignal`, then SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  /** SIGTERM unless given; Packer wants SIGINT to clean up its build VM. */
  killSignal?: NodeJS.Signals;
  /** How long a stopped process may clean up before SIGKILL; 5 s unless given. */
  killGraceMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface CommandRunner {
  /** A short label for logs, e.g. "local" or "ssh:vbox-host". */
  readonly host: string;
  run(file: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}
