/**
 * `bm`: every panel action as a command over the same core. Human output on stdout, log lines on
 * stderr, `--json` for scripts; exit codes: 0 success, the build's own code for builds,
 * 2 for a problem the user can fix (the message says how), 1 for anything else.
 */
import { parseArgs } from 'node:util';

import { describeError } from '../core/errors.ts';
import { addLogSink, stderrSink } from '../core/log/logger.ts';
import { commands, usage } from './commands.ts';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }

  const command = commands[name];
  if (!command) {
    process.stderr.write(`bm: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }

  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: command.options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`bm ${name}: ${(error as Error).message}\n\n${command.help}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  if (!parsed.values.quiet) addLogSink(stderrSink);

  try {
    return await command.run(parsed.values, parsed.positionals);
  } catch (error) {
    const described = describeError(error);
    if (parsed.values.json) {
      process.stdout.write(JSON.stringify({ ok: false, error: described }) + '\n');
    } else {
      process.stderr.write(`bm ${name}: ${described.message}\n`);
      if (described.fix) process.stderr.write(`  fix: ${described.fix}\n`);
    }
    return described.code === 'internal' ? 1 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bm: ${String(error)}\n`);
    process.exit(1);
  },
);
