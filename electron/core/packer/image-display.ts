/**
 * How image builds are shown, the same in the CLI and in the panel. Pure (no Node APIs): the
 * renderer imports it too.
 */

/** The GHC versions a build installs unless told otherwise, default first (as in the template). */
export const DEFAULT_GHC_VERSIONS: readonly string[] = ['9.8.4', '9.6.6'];

/** Bytes in binary units with one decimal: `512 bytes`, `1.5 KiB`, `3.2 GiB`. */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
