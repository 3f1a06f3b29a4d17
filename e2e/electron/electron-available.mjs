// Prints why no Electron window can open here and exits 1, or exits 0 when one can. It only
// looks: requiring the electron package would start a download when the binary is missing.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'node_modules',
  'electron',
);

function binaryPath() {
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(packageDir, 'dist');
  return join(dist, relative);
}

function reason() {
  if (!existsSync(packageDir)) return 'the electron package is not installed (run npm ci)';
  const binary = binaryPath();
  if (!binary || !existsSync(binary)) {
    return 'the Electron binary is not downloaded (run `make electron` where the network allows)';
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  }
  return undefined;
}

const why = reason();
if (why) {
  process.stdout.write(why);
  process.exit(1);
}
process.stdout.write(binaryPath());
