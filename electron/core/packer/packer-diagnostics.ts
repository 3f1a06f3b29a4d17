/**
 * Recognises Packer failures a user can act on, from the text of a run (stdout and stderr,
 * already unescaped). Each diagnosis says what happened and what to do.
 */

export interface RequiredPlugin {
  /** e.g. github.com/hashicorp/virtualbox */
  source: string;
  /** Last part of the source, e.g. virtualbox */
  name: string;
  constraint: string;
}

export interface InstalledPlugin {
  source: string;
  name: string;
  version: string;
  path: string;
}

export type PackerDiagnosis =
  | { kind: 'missing-plugins'; plugins: RequiredPlugin[]; remedy: string }
  | { kind: 'plugins-installed'; plugins: InstalledPlugin[] }
  | {
      kind: 'vbox-session-locked';
      vmName: string | undefined;
      code: string | undefined;
      hresult: string | undefined;
      retriesExhausted: boolean;
      remedy: string;
    }
  | { kind: 'vtx-unavailable'; code: string; remedy: string }
  | { kind: 'output-exists'; directory: string | undefined; remedy: string };

const PLUGIN_BULLET = /^\s*\*\s+(\S+)\s+(.+?)\s*$/;
const INSTALLED_PLUGIN = /^Installed plugin (\S+) v(\S+) in "(.*)"\s*$/;

export function diagnosePackerOutput(text: string, templateDir = '.'): PackerDiagnosis[] {
  const lines = text.split(/\r?\n/);
  const diagnoses: PackerDiagnosis[] = [];

  const missing = missingPlugins(lines);
  if (missing) {
    diagnoses.push({
      kind: 'missing-plugins',
      plugins: missing,
      remedy: `packer init ${templateDir}`,
    });
  }

  const installed = lines.flatMap((line): InstalledPlugin[] => {
    const match = INSTALLED_PLUGIN.exec(line);
    if (!match) return [];
    const [, source = '', version = '', path = ''] = match;
    return [{ source, name: pluginName(source), version, path }];
  });
  if (installed.length > 0) diagnoses.push({ kind: 'plugins-installed', plugins: installed });

  const locked = sessionLocked(text);
  if (locked) diagnoses.push(locked);

  const vtx = /\b(VERR_VMX_NO_VMX|VERR_SVM_NO_SVM|VERR_VMX_MSR_ALL_VMX_DISABLED)\b/.exec(text);
  if (vtx?.[1]) {
    diagnoses.push({
      kind: 'vtx-unavailable',
      code: vtx[1],
      remedy:
        'Hardware virtualization is not available to VirtualBox: enable VT-x/AMD-V in the ' +
        'firmware settings, and turn off Hyper-V/WSL2 virtualization on Windows hosts.',
    });
  }

  const output = /Output directory exists: (.*?)\.? Use the force flag/i.exec(text);
  if (output) {
    diagnoses.push({
      kind: 'output-exists',
      directory: output[1],
      remedy: 'Move or delete the old output directory, or build into a new one.',
    });
  }

  return diagnoses;
}

// "Error: Missing plugins", a blank line, an intro line, a blank line, then "* source version"
// bullets.
function missingPlugins(lines: readonly string[]): RequiredPlugin[] | undefined {
  const start = lines.findIndex((line) => /\bMissing plugins\b/.test(line));
  if (start === -1) return undefined;
  const plugins: RequiredPlugin[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = PLUGIN_BULLET.exec(line);
    if (match) {
      const [, source = '', constraint = ''] = match;
      plugins.push({ source, name: pluginName(source), constraint });
    } else if (plugins.length > 0 && line.trim() !== '') {
      break;
    }
  }
  return plugins;
}

// VBoxManage's error arrives nested in Packer's: "Error starting VM: retry count exhausted.
// Last err: VBoxManage error: VBoxManage: error: The machine 'x' is already locked by a
// session". The source line number in "Context: ... at line N" differs by version: unused.
function sessionLocked(text: string): PackerDiagnosis | undefined {
  const machine = /The machine '([^']+)' is already locked by a session/.exec(text);
  const code = /\bcode (VBOX_E_INVALID_OBJECT_STATE) \((0x[0-9a-f]+)\)/i.exec(text);
  if (!machine && !code) return undefined;
  const vmName = machine?.[1];
  return {
    kind: 'vbox-session-locked',
    vmName,
    code: code?.[1],
    hresult: code?.[2],
    retriesExhausted: /retry count exhausted/i.test(text),
    remedy:
      `Another process holds the session of VM ${vmName ?? '(unknown)'}: a VirtualBox window, ` +
      'an earlier Packer run or a VBoxManage command. Close it, or wait for it to finish, ' +
      'then build again.',
  };
}

function pluginName(source: string): string {
  return source.split('/').pop() ?? source;
}
