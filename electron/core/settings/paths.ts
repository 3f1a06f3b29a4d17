import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

const APP_FOLDER = 'build-machines';

export interface AppPaths {
  /** Settings, pinned host keys: what the user would back up. */
  configDir: string;
  /** Build logs and history: what the panel can rebuild or lose without harm. */
  stateDir: string;
}

/**
 * The per-user folders, following each platform's convention (XDG on Linux). BM_CONFIG_DIR and
 * BM_STATE_DIR override them, which the tests and the lab use to stay out of the real home.
 */
export function resolveAppPaths(env: NodeJS.ProcessEnv = process.env): AppPaths {
  // Empty variables count as unset, as the shell's `${VAR:-default}` would treat them.
  const home = env.HOME || homedir();

  if (process.platform === 'win32') {
    const appData = env.APPDATA ?? join(home, 'AppData', 'Roaming');
    const localAppData = env.LOCALAPPDATA ?? join(home, 'AppData', 'Local');
    return {
      configDir: env.BM_CONFIG_DIR || join(appData, 'Build Machines'),
      stateDir: env.BM_STATE_DIR || join(localAppData, 'Build Machines'),
    };
  }

  if (process.platform === 'darwin') {
    const support = join(home, 'Library', 'Application Support', 'Build Machines');
    return {
      configDir: env.BM_CONFIG_DIR || support,
      stateDir: env.BM_STATE_DIR || join(support, 'state'),
    };
  }

  // The XDG spec calls a relative path in these variables invalid, to be ignored.
  const xdg = (value: string | undefined, fallback: string) =>
    value && isAbsolute(value) ? value : fallback;
  const configHome = xdg(env.XDG_CONFIG_HOME, join(home, '.config'));
  const stateHome = xdg(env.XDG_STATE_HOME, join(home, '.local', 'state'));
  return {
    configDir: env.BM_CONFIG_DIR || join(configHome, APP_FOLDER),
    stateDir: env.BM_STATE_DIR || join(stateHome, APP_FOLDER),
  };
}
