import { describe, expect, it } from 'vitest';

import { readCase } from '../testing/shared-cases.ts';
import { parsePackerOutput, PackerOutputParser, type PackerEvent } from './packer-output.ts';
import { summarizePackerEvents } from './packer-summary.ts';

const CASE_23 = '23-packer-mr-build-success-artifact-packer-comma.txt';
const CASE_25 = '25-packer-mr-version-out-of-date.txt';

function parseInChunks(text: string, size: number): PackerEvent[] {
  const events: PackerEvent[] = [];
  const parser = new PackerOutputParser((event) => events.push(event));
  for (let offset = 0; offset < text.length; offset += size) {
    parser.push(text.slice(offset, offset + size));
  }
  parser.end();
  return events;
}

describe('Packer machine-readable output', () => {
  it('reads case 23: build aws finished with one AMI artifact and unescaped text', () => {
    const summary = summarizePackerEvents(parsePackerOutput(readCase(CASE_23)));

    expect(summary.finishedBuilds).toEqual(['aws']);
    expect(summary.artifactCounts.get('aws')).toBe(1);
    expect(summary.artifacts).toEqual([
      {
        build: 'aws',
        index: 0,
        builderId: 'mitchellh.amazonebs',
        id: 'eu-west-1:ami-c79e1ab4',
        description: 'AMIs were created:\n\neu-west-1: ami-c79e1ab4',
        filesCount: 0,
        files: [],
      },
    ]);
    expect(summary.lines[0]).toMatchObject({
      level: 'info',
      build: 'aws',
      text: '==> aws: No volumes to clean up, skipping',
    });
    expect(summary.lines.map((line) => line.text)).toContain(
      '\n==> Builds finished. The artifacts of successful builds are:',
    );
    expect(summary.currentStep).toEqual({ build: 'aws', step: 'Deleting temporary keypair...' });
    expect(summary.failed).toBe(false);
  });

  it('reads case 25: version 0.10.2, empty prerelease, commit, and the update advisory', () => {
    const events = parsePackerOutput(readCase(CASE_25));
    const summary = summarizePackerEvents(events);

    expect(summary.version).toBe('0.10.2');
    expect(summary.prerelease).toBe('');
    expect(summary.commit).toBe('141440147f75b5d1ca500c133a5f879c226f2b10');
    const advisory = summary.lines.find((line) => line.text.includes('out of date'));
    expect(advisory?.text).toContain('The latest version\nis 1.2.1.');
    expect(/is (\d+\.\d+\.\d+)\./.exec(advisory?.text ?? '')?.[1]).toBe('1.2.1');
    expect(summary.lines.some((line) => line.text === '')).toBe(true);
  });

  it('gives the same events whatever the chunking, including CRLF line ends', () => {
    for (const name of [CASE_23, CASE_25]) {
      const text = readCase(name);
      const whole = parsePackerOutput(text);
      for (const size of [1, 2, 7, 64]) expect(parseInChunks(text, size)).toEqual(whole);
      expect(parsePackerOutput(text.replace(/\n/g, '\r\n'))).toEqual(whole);
    }
  });

  it('collects artifact files by position and keeps commas inside paths', () => {
    const text = [
      '1700000000,virtualbox-iso.haskell,artifact-count,1',
      '1700000000,virtualbox-iso.haskell,artifact,0,builder-id,mitchellh.virtualbox',
      '1700000000,virtualbox-iso.haskell,artifact,0,id,VM',
      '1700000000,virtualbox-iso.haskell,artifact,0,files-count,2',
      '1700000000,virtualbox-iso.haskell,artifact,0,file,0,output/haskell-build-20260420.ova',
      '1700000000,virtualbox-iso.haskell,artifact,0,file,1,output/odd%!(PACKER_COMMA)name.mf',
      '1700000000,virtualbox-iso.haskell,artifact,0,end',
    ].join('\n');
    const summary = summarizePackerEvents(parsePackerOutput(text));
    expect(summary.artifacts[0]).toMatchObject({
      build: 'virtualbox-iso.haskell',
      builderId: 'mitchellh.virtualbox',
      filesCount: 2,
      files: ['output/haskell-build-20260420.ova', 'output/odd,name.mf'],
    });
  });

  it('keeps the step that failed, not the cleanup steps that follow', () => {
    const text = [
      '1,,ui,say,==> virtualbox-iso.haskell: Starting the virtual machine...',
      '2,,ui,error,==> virtualbox-iso.haskell: Error starting VM: VBoxManage error',
      '3,,ui,say,==> virtualbox-iso.haskell: Deregistering and deleting VM...',
      "4,,ui,error,Build 'virtualbox-iso.haskell' errored after 3 seconds: Error starting VM",
      '5,,error-count,1',
      '6,virtualbox-iso.haskell,error,Error starting VM: VBoxManage error',
    ].join('\n');
    const summary = summarizePackerEvents(parsePackerOutput(text));
    expect(summary.failed).toBe(true);
    expect(summary.failedStep).toBe('Starting the virtual machine...');
    expect(summary.currentStep?.step).toBe('Deregistering and deleting VM...');
    expect(summary.errorCount).toBe(1);
    expect(summary.erroredBuilds).toEqual([
      { build: 'virtualbox-iso.haskell', message: 'Error starting VM' },
    ]);
    expect(summary.errors).toContain('Error starting VM: VBoxManage error');
  });

  it('passes unknown record types through', () => {
    const events = parsePackerOutput('1700000000,x,new-type,a,b%!(PACKER_COMMA)c\n');
    expect(events).toEqual([{ kind: 'other', target: 'x', type: 'new-type', data: ['a', 'b,c'] }]);
  });
});
