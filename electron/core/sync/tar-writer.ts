import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join } from 'node:path';

import type { FileEntry } from './local-scan.ts';

const BLOCK = 512;
/** Writes to the SSH channel in pieces this big: thousands of 512-byte writes cost seconds. */
const CHUNK_BYTES = 256 * 1024;

/**
 * A POSIX (pax) tar stream of the given files, read from disk one at a time. Written here rather
 * than spawning `tar` so the workstation needs no tar of a particular flavour; the VM's GNU tar
 * reads it. Long paths and sub-second mtimes go in a pax extended header.
 */
export function createTarStream(root: string, files: FileEntry[]): Readable {
  async function* generate() {
    for (const file of files) {
      const pathBytes = Buffer.byteLength(file.path);
      const records = [
        ...(pathBytes > 100 ? [paxRecord('path', file.path)] : []),
        ...(file.mtimeMs !== undefined && file.mtimeMs % 1000 !== 0
          ? [paxRecord('mtime', (file.mtimeMs / 1000).toFixed(3))]
          : []),
      ];
      if (records.length > 0) yield paxHeader(records.join(''));
      yield header({
        name: pathBytes > 100 ? file.path.slice(-90).replace(/^[^/]*\//, '') : file.path,
        mode: file.executable ? 0o755 : 0o644,
        size: file.size,
        mtime: file.mtime,
        type: '0',
      });

      const handle = await open(join(root, file.path), 'r');
      try {
        let remaining = file.size;
        const buffer = Buffer.alloc(64 * 1024);
        while (remaining > 0) {
          const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, remaining));
          // A file that shrank since the scan: pad with zeros so the archive stays well-formed;
          // the next sync sees the new size and sends it again.
          if (bytesRead === 0) {
            yield Buffer.alloc(remaining);
            break;
          }
          remaining -= bytesRead;
          yield Buffer.from(buffer.subarray(0, bytesRead));
        }
      } finally {
        await handle.close();
      }
      yield Buffer.alloc(padding(file.size));
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  return Readable.from(coalesce(generate(), CHUNK_BYTES));
}

interface HeaderFields {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  type: '0' | 'x';
}

function header(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  writeOctal(block, fields.mode, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, fields.size, 124, 12);
  writeOctal(block, fields.mtime, 136, 12);
  block.write('        ', 148, 8, 'latin1');
  block.write(fields.type, 156, 1, 'latin1');
  block.write('ustar\u000000', 257, 8, 'latin1');

  let checksum = 0;
  for (const byte of block) checksum += byte;
  block.write(checksum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'latin1');
  return block;
}

function paxHeader(records: string): Buffer {
  const body = Buffer.from(records, 'utf8');
  return Buffer.concat([
    header({ name: 'PaxHeader', mode: 0o644, size: body.length, mtime: 0, type: 'x' }),
    body,
    Buffer.alloc(padding(body.length)),
  ]);
}

// A pax record starts with its own length in bytes, which includes the digits of that length.
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restBytes = Buffer.byteLength(rest);
  let length = restBytes + 1;
  while (String(length).length + restBytes !== length) length = String(length).length + restBytes;
  return `${length}${rest}`;
}

function writeOctal(block: Buffer, value: number, offset: number, width: number): void {
  block.write(value.toString(8).padStart(width - 1, '0') + '\u0000', offset, width, 'latin1');
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

async function* coalesce(pieces: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const piece of pieces) {
    pending.push(piece);
    length += piece.length;
    if (length >= size) {
      yield Buffer.concat(pending, length);
      pending = [];
      length = 0;
    }
  }
  if (length > 0) yield Buffer.concat(pending, length);
}
