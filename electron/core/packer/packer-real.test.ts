import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { UserError } from '../errors.ts';
import { LocalRunner } from '../exec/local-runner.ts';
import { PackerOutputParser, type PackerEvent } from './packer-output.ts';
import { PackerSummary } from './packer-summary.ts';
import { checkPackerVersion } from './packer-version.ts';

// Debian's packer 1.6.6: too old for the image template, but its machine-readable output is
// the real thing. A null source with no communicator and a shell-local provisioner needs
// neither plugins nor VirtualBox.
const PACKER = '/usr/bin/packer';
const hasPacker = existsSync(PACKER);
if (!hasPacker) console.log(`skipping real Packer tests: ${PACKER} is not installed`);

const SUCCEEDING = `
source "null" "example" {
  communicator = "none"
}

build {
  sources = ["source.null.example"]

  provisioner "shell-local" {
    inline = ["echo hello, world", "echo second line"]
  }
}
`;

const FAILING = {
  builders: [{ type: 'null', communicator: 'none' }],
  provisioners: [{ type: 'shell-local', inline: ['echo about to fail', 'exit 3'] }],
};

async function runPacker(args: string[]) {
  const summary = new PackerSummary();
  const events: PackerEvent[] = [];
  const record = (event: PackerEvent) => {
    events.push(event);
    summary.apply(event);
  };
  const stdout = new PackerOutputParser(record, 'stdout');
  const stderr = new PackerOutputParser(record, 'stderr');
  const result = await new LocalRunner().run(PACKER, args, {
    cwd: workDir,
    env: { CHECKPOINT_DISABLE: '1', PACKER_CACHE_DIR: join(workDir, 'cache') },
    onStdout: (chunk) => stdout.push(chunk),
    onStderr: (chunk) => stderr.push(chunk),
    timeoutMs: 60_000,
  });
  stdout.end();
  stderr.end();
  return { result, summary, events };
}

let workDir = '';

describe.skipIf(!hasPacker)('real packer 1.6.6', () => {
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'bm-packer-'));
    await writeFile(join(workDir, 'null.pkr.hcl'), SUCCEEDING);
    await writeFile(join(workDir, 'failing.json'), JSON.stringify(FAILING));
  });
  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('builds an HCL null source: the parser sees the step, output, finish, artifact', async () => {
    const { result, summary } = await runPacker(['build', '-machine-readable', 'null.pkr.hcl']);

    expect(result.exitCode).toBe(0);
    expect(summary.failed).toBe(false);
    expect(summary.finishedBuilds).toEqual(['null.example']);
    expect(summary.currentStep?.build).toBe('null.example');
    expect(summary.currentStep?.step).toMatch(/^Running local shell script/);
    const output = summary.lines.filter((line) => line.level === 'output');
    expect(output.map((line) => line.text)).toEqual([
      '    null.example: hello, world',
      '    null.example: second line',
    ]);
    expect(output[0]?.build).toBe('null.example');
    expect(summary.artifactCounts.get('null.example')).toBe(1);
    expect(summary.artifacts).toHaveLength(1);
    expect(summary.artifacts[0]).toMatchObject({
      build: 'null.example',
      builderId: 'fnoeding.null',
      filesCount: 0,
      files: [],
    });
  }, 60_000);

  it('reports a failing provisioner with its step, error count and error', async () => {
    const { result, summary } = await runPacker(['build', '-machine-readable', 'failing.json']);

    expect(result.exitCode).not.toBe(0);
    expect(summary.failed).toBe(true);
    expect(summary.failedStep).toMatch(/^Running local shell script/);
    expect(summary.errorCount).toBe(1);
    expect(summary.erroredBuilds[0]?.build).toBe('null');
    expect(summary.errors.join('\n')).toMatch(/non-zero exit status: 3/);
    expect(summary.artifacts).toEqual([]);
    expect(summary.lines.some((line) => line.text === '    null: about to fail')).toBe(true);
  }, 60_000);

  it('reports its version through the parser', async () => {
    const { result, summary } = await runPacker(['-machine-readable', 'version']);
    expect(result.exitCode).toBe(0);
    expect(summary.version).toBe('1.6.6');
  });

  it('is rejected by the version check with the fix', async () => {
    const error = await checkPackerVersion(new LocalRunner(), PACKER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    const userError = error as UserError;
    expect(userError.code).toBe('packer-too-old');
    expect(userError.message).toContain('Packer 1.6.6');
    expect(userError.message).toContain('1.10.0 or newer');
    expect(userError.fix).toContain('https://developer.hashicorp.com/packer/install');
  });
});

describe('packer version check', () => {
  it('says Packer is missing when the program does not exist', async () => {
    const error = await checkPackerVersion(new LocalRunner(), '/nonexistent/packer').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe('packer-missing');
    expect((error as UserError).fix).toMatch(/Install Packer 1\.10\.0 or newer/);
  });
});
