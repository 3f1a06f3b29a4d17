import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface TreeSpec {
  /** Files that sync must send, the top-level .gitignore included. */
  files: number;
  /** Their total size in bytes. */
  bytes: number;
  /** Of those, how many are large (golden outputs, JSON fixtures). */
  largeFiles: number;
  /** Bytes the large files take of the total. */
  largeBytes: number;
  seed: number;
}

export interface GeneratedTree {
  /** Relative paths (forward slashes) of the files that sync must send, sorted. */
  synced: string[];
  syncedBytes: number;
  /** Files written under dist-newstyle and .git, which neither tool may send. */
  excludedFiles: number;
  excludedBytes: number;
}

export const DEFAULT_SPEC: TreeSpec = {
  files: 5_000,
  bytes: 22_000_000,
  largeFiles: 24,
  largeBytes: 6_000_000,
  seed: 20_250_601,
};

const TOP_LEVEL: Record<string, string> = {
  '.gitignore': 'dist-newstyle/\n.ghc.environment.*\ncabal.project.local~\n*.swp\n',
  'cabal.project': 'packages: .\ntests: True\n',
  'bench-tree.cabal': 'cabal-version: 3.0\nname: bench-tree\nversion: 0.1.0.0\n',
  'README.md': '# bench-tree\n\nA generated project that the sync benchmark sends to a VM.\n',
  'CHANGELOG.md': '# Revision history for bench-tree\n\n## 0.1.0.0\n\n* First version.\n',
  LICENSE: 'MIT License\n\nCopyright (c) the benchmark\n',
};

const AREAS = ['Core', 'Data', 'Net', 'Build', 'Sync', 'Ui', 'Parser', 'Types', 'Util', 'Store'];
const LAYERS = ['Internal', 'Types', 'Effects', 'Codec', 'Render', 'Query', 'Cache', 'Plan'];
const WORDS = (
  'build machine tunnel port session manifest plan upload remote local entry path size ' +
  'digest queue worker config result error token parse render index store cache graph node'
).split(' ');
const TYPES = ['Int', 'Text', 'Bool', 'ByteString', '[Entry]', 'Maybe Path', 'Map Text Int'];

/**
 * Writes a Haskell-like project of `spec.files` files and `spec.bytes` bytes under `root`: nested
 * modules under src/, test/, app/ and bench/, a few large data files, plus a local dist-newstyle
 * and .git that a sync must leave behind. The same seed gives the same tree.
 */
export async function generateTree(root: string, spec = DEFAULT_SPEC): Promise<GeneratedTree> {
  const random = mulberry32(spec.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  const fixed = Object.entries(TOP_LEVEL);
  const fixedBytes = fixed.reduce((sum, [, text]) => sum + Buffer.byteLength(text), 0);
  const smallCount = spec.files - fixed.length - spec.largeFiles;
  const smallBytes = spec.bytes - fixedBytes - spec.largeBytes;

  // Source files are mostly a few KB with a long tail, as in a real code base.
  const weights = Array.from({ length: smallCount }, () => 0.15 + random() ** 3 * 4);
  const smallSizes = scaleToTotal(weights, smallBytes);
  const largeSizes = scaleToTotal(
    Array.from({ length: spec.largeFiles }, () => 0.5 + random()),
    spec.largeBytes,
  );

  const files = new Map<string, string>(fixed);
  const folders = sourceFolders(pick);
  smallSizes.forEach((size, index) => {
    const modulePath = sourcePath(index, folders, pick);
    files.set(modulePath, haskellModule(modulePath, size, random, pick));
  });
  largeSizes.forEach((size, index) => {
    const path =
      index % 2 === 0
        ? `test/golden/case-${String(index).padStart(3, '0')}.golden`
        : `data/fixtures/sample-${String(index).padStart(3, '0')}.json`;
    files.set(
      path,
      fillText(size, () => `${pick(WORDS)} ${Math.floor(random() * 1e6)}\n`),
    );
  });

  let syncedBytes = 0;
  for (const [path, text] of files) {
    await writeText(join(root, path), text);
    syncedBytes += Buffer.byteLength(text);
  }

  const excluded = await writeExcluded(root, random);
  return {
    synced: [...files.keys()].sort(compareBytes),
    syncedBytes,
    excludedFiles: excluded.files,
    excludedBytes: excluded.bytes,
  };
}

/** Byte-wise order, the order `LC_ALL=C sort` gives. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

// Most modules sit in src/, one to three folders deep; the rest are tests, executables and
// benches. About 240 folders for 5,000 files: some twenty files a folder, as in real projects.
function sourceFolders(pick: <T>(items: readonly T[]) => T): Record<string, string[]> {
  const folders: Record<string, string[]> = { src: [], test: [], app: [], bench: [] };
  for (const area of AREAS) {
    folders.src!.push(`src/BenchTree/${area}`);
    for (const layer of LAYERS) {
      folders.src!.push(
        `src/BenchTree/${area}/${layer}`,
        `src/BenchTree/${area}/${layer}/${pick(LAYERS)}`,
      );
    }
    folders.test!.push(`test/BenchTree/${area}`);
    for (const layer of LAYERS.slice(0, 4)) folders.test!.push(`test/BenchTree/${area}/${layer}`);
    folders.bench!.push(`bench/${area}`);
  }
  folders.app = ['app', 'app/Cli', 'app/Server', 'app/Worker', 'app/Tools'];
  return folders;
}

function sourcePath(
  index: number,
  folders: Record<string, string[]>,
  pick: <T>(items: readonly T[]) => T,
): string {
  const name = `${capitalize(pick(WORDS))}${capitalize(pick(WORDS))}${index}.hs`;
  const bucket = index % 20;
  const kind = bucket < 14 ? 'src' : bucket < 18 ? 'test' : bucket === 18 ? 'bench' : 'app';
  return `${pick(folders[kind]!)}/${name}`;
}

function haskellModule(
  path: string,
  size: number,
  random: () => number,
  pick: <T>(items: readonly T[]) => T,
): string {
  const moduleName = path
    .replace(/^(src|test|app|bench)\//, '')
    .replace(/\.hs$/, '')
    .replaceAll('/', '.');
  const head =
    `{-# LANGUAGE OverloadedStrings #-}\nmodule ${moduleName} where\n\n` +
    'import qualified Data.Map.Strict as Map\nimport Data.Text (Text)\n\n';
  let counter = 0;
  const block = () => {
    counter++;
    const fn = `${pick(WORDS)}${capitalize(pick(WORDS))}${counter}`;
    return (
      `-- | ${capitalize(pick(WORDS))} the ${pick(WORDS)} of a ${pick(WORDS)}.\n` +
      `${fn} :: ${pick(TYPES)} -> ${pick(TYPES)} -> Maybe (${pick(TYPES)})\n` +
      `${fn} a b\n  | ${pick(WORDS)} a > ${Math.floor(random() * 100)} ` +
      `= Just (${pick(WORDS)} b)\n` +
      `  | otherwise = Nothing\n\n`
    );
  };
  return head + fillText(size - Buffer.byteLength(head), block);
}

// Repeats `chunk()` until `size` bytes, cut to exactly that size and ending with a newline.
function fillText(size: number, chunk: () => string): string {
  if (size <= 0) return '';
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const part = chunk();
    parts.push(part);
    length += part.length;
  }
  return parts.join('').slice(0, size - 1) + '\n';
}

// Build output and history: present locally, never to be sent.
async function writeExcluded(
  root: string,
  random: () => number,
): Promise<{ files: number; bytes: number }> {
  const build = 'dist-newstyle/build/x86_64-linux/ghc-9.0.2/bench-tree-0.1.0.0/build';
  let bytes = 0;
  let files = 0;
  const write = async (path: string, size: number) => {
    const text = fillText(size, () => `${Math.floor(random() * 1e9).toString(16)}\n`);
    await writeText(join(root, path), text);
    bytes += size;
    files++;
  };
  for (let index = 0; index < 300; index++) {
    const area = AREAS[index % AREAS.length]!;
    await write(`${build}/BenchTree/${area}/Module${index}.o`, 8_000 + (index % 7) * 3_000);
    if (index % 3 === 0) await write(`${build}/BenchTree/${area}/Module${index}.hi`, 2_000);
  }
  await write('dist-newstyle/cache/plan.json', 40_000);
  await write('.git/HEAD', 23);
  for (let index = 0; index < 20; index++) {
    await write(`.git/objects/${(index * 7).toString(16).padStart(2, '0')}/object${index}`, 900);
  }
  return { files, bytes };
}

async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

// Integer sizes in proportion to `weights`, adding up to `total` exactly.
function scaleToTotal(weights: number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((weight) => Math.max(64, Math.floor((weight / sum) * total)));
  const drift = total - sizes.reduce((a, b) => a + b, 0);
  sizes[0] = sizes[0]! + drift;
  return sizes;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// A small seeded generator: the tree must be the same from run to run.
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
