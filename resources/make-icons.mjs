// Draws the tray icons (a state dot in green, amber, red) and the app icon as PNG files with
// nothing but Node: pixels are computed here, compressed with zlib, and framed as PNG chunks.
//   node resources/make-icons.mjs   writes resources/icons/*.png
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const OUT = join(import.meta.dirname, 'icons');
const COLORS = { green: [46, 158, 68], amber: [224, 161, 0], red: [217, 48, 37] };
// Tray sizes Linux, Windows and macOS ask for, each with a @2x for high-density screens.
const TRAY_SIZES = [16, 22, 32];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An RGBA image as PNG: colour type 6, 8 bits, each row prefixed with filter 0. */
function png(size, pixel) {
  const rows = [];
  for (let y = 0; y < size; y += 1) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x += 1) row.set(pixel(x, y), 1 + x * 4);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Coverage of a pixel by a disc, from 4x4 samples: smooth edges at 16 px.
function discCoverage(x, y, cx, cy, r) {
  let inside = 0;
  for (let i = 0; i < 4; i += 1) {
    for (let j = 0; j < 4; j += 1) {
      const dx = x + (i + 0.5) / 4 - cx;
      const dy = y + (j + 0.5) / 4 - cy;
      if (dx * dx + dy * dy <= r * r) inside += 1;
    }
  }
  return inside / 16;
}

function dot(size, [r, g, b]) {
  const c = size / 2;
  const radius = size * 0.42;
  // A dark ring keeps the dot visible on light and dark panels alike.
  return png(size, (x, y) => {
    const outer = discCoverage(x, y, c, c, radius);
    const inner = discCoverage(x, y, c, c, radius - Math.max(1, size / 16));
    const blend = (value) => Math.round(value * inner + value * 0.55 * (1 - inner));
    return [blend(r), blend(g), blend(b), Math.round(255 * outer)];
  });
}

function appIcon(size) {
  const corner = size * 0.18;
  const [r, g, b] = COLORS.green;
  return png(size, (x, y) => {
    const qx = Math.max(corner - x - 0.5, 0, x + 0.5 - (size - corner));
    const qy = Math.max(corner - y - 0.5, 0, y + 0.5 - (size - corner));
    const inSquare = Math.hypot(qx, qy) <= corner ? 1 : 0;
    const d = discCoverage(x, y, size * 0.68, size * 0.68, size * 0.16);
    // Three stacked "machines" on a dark tile, and the green state dot.
    const band = [0.2, 0.38, 0.56].some(
      (top) => y >= size * top && y < size * (top + 0.12) && x >= size * 0.16 && x < size * 0.6,
    );
    const base = band ? [200, 210, 225] : [38, 46, 61];
    return [
      Math.round(base[0] * (1 - d) + r * d),
      Math.round(base[1] * (1 - d) + g * d),
      Math.round(base[2] * (1 - d) + b * d),
      255 * inSquare,
    ];
  });
}

mkdirSync(OUT, { recursive: true });
for (const [name, color] of Object.entries(COLORS)) {
  for (const size of TRAY_SIZES) {
    writeFileSync(join(OUT, `tray-${name}-${size}.png`), dot(size, color));
    writeFileSync(join(OUT, `tray-${name}-${size}@2x.png`), dot(size * 2, color));
  }
}
for (const size of [256, 512]) writeFileSync(join(OUT, `app-${size}.png`), appIcon(size));
writeFileSync(join(OUT, 'icon.png'), appIcon(512));
console.log(`icons written to ${OUT}`);
