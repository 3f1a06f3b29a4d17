/**
 * Test helpers shared by the vbox tests: the real-output transcripts in ../shared/cases (beside
 * the repository) and a CommandRunner that replays scripted output.
 */
import type { CommandResult, CommandRunner, RunOptions } from '../exec/command-runner.ts';

export { readCase } from '../testing/shared-cases.ts';

export interface ScriptedReply {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** Streams stdout/stderr to the callbacks in pieces of this size (default: whole). */
  chunkSize?: number;
  /** Waits for the abort signal before replying, as a long import would. */
  waitForAbort?: boolean;
}

export interface RecordedCall {
  file: string;
  args: string[];
  options: RunOptions;
}

type Reply = ScriptedReply | ((args: readonly string[]) => ScriptedReply);

/**
 * Answers each call with the first scripted reply whose argv starts with the given words;
 * a reply registered with `once` is used one time.
 */
export class FakeRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  private readonly replies: Array<{ prefix: string[]; reply: Reply; once: boolean }> = [];

  constructor(readonly host = 'local') {}

  on(prefix: string[], reply: Reply): this {
    this.replies.push({ prefix, reply, once: false });
    return this;
  }

  once(prefix: string[], reply: Reply): this {
    this.replies.push({ prefix, reply, once: true });
    return this;
  }

  argvs(): string[][] {
    return this.calls.map((call) => call.args);
  }

  async run(file: string, args: readonly string[], options: RunOptions = {}) {
    this.calls.push({ file, args: [...args], options });
    const index = this.replies.findIndex((entry) =>
      entry.prefix.every((word, position) => args[position] === word),
    );
    const entry = this.replies[index];
    if (!entry) throw new Error(`FakeRunner: no reply for ${JSON.stringify(args)}`);
    if (entry.once) this.replies.splice(index, 1);
    const reply = typeof entry.reply === 'function' ? entry.reply(args) : entry.reply;

    await stream(reply.stdout ?? '', reply.chunkSize, options.onStdout);
    await stream(reply.stderr ?? '', reply.chunkSize, options.onStderr);
    if (reply.waitForAbort && options.signal) {
      const signal = options.signal;
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return { exitCode: 130, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' };
    }
    const result: CommandResult = {
      exitCode: reply.exitCode ?? 0,
      stdout: reply.stdout ?? '',
      stderr: reply.stderr ?? '',
    };
    return result;
  }
}

async function stream(
  text: string,
  chunkSize: number | undefined,
  sink: ((chunk: string) => void) | undefined,
): Promise<void> {
  if (!sink || text === '') return;
  const size = chunkSize ?? text.length;
  for (let start = 0; start < text.length; start += size) {
    sink(text.slice(start, start + size));
    await Promise.resolve();
  }
}
