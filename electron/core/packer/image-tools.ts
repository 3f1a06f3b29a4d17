import type { ImageCheck, ImageTool } from '../api/contract-image.ts';
import type { CommandRunner } from '../exec/command-runner.ts';
import { describeError } from '../errors.ts';
import { VBoxManageDriver } from '../vbox/vbox-driver.ts';
import { checkPackerVersion } from './packer-version.ts';

/**
 * What the panel shows before "Build image": whether Packer and VirtualBox are usable on the
 * host the build runs on. Each problem comes with the fix the user needs, never as a crash.
 */
export async function checkImageTools(
  runner: CommandRunner,
  templateDir: string,
  options: { packerPath?: string; vboxManagePath?: string; signal?: AbortSignal } = {},
): Promise<ImageCheck> {
  const [packer, virtualbox] = await Promise.all([
    toolStatus(async () => {
      const found = await checkPackerVersion(runner, options.packerPath, options.signal);
      return found.version;
    }),
    toolStatus(async () => {
      const driver = new VBoxManageDriver(
        runner,
        options.vboxManagePath ? { executable: options.vboxManagePath } : {},
      );
      return (await driver.checkVersion()).version;
    }),
  ]);
  return { host: runner.host, templateDir, packer, virtualbox, ready: packer.ok && virtualbox.ok };
}

async function toolStatus(check: () => Promise<string>): Promise<ImageTool> {
  try {
    return { ok: true, version: await check() };
  } catch (error) {
    const { message, fix } = describeError(error);
    return { ok: false, message, ...(fix ? { fix } : {}) };
  }
}
