import type { Artifact } from '../api/contract-workspace.ts';
import { remoteProjectDir } from '../build/build-service.ts';
import { UserError } from '../errors.ts';
import type { MachineService } from '../machines/machine-service.ts';
import { createLogger } from '../log/logger.ts';
import { inspectProject, normalizeProjectPath } from '../projects/project-inspect.ts';
import { fetchFile, locateExecutables, type FetchProgress } from './artifact-fetch.ts';
import { projectExecutables } from './cabal-executables.ts';

export interface FetchRequest {
  vm: string;
  project: string;
  dest: string;
  /** The compiler the build used; by default the newest on the VM, as builds choose. */
  ghc?: string;
}

/** Fetches every executable of a built project from the VM into `dest`, one file at a time. */
export async function fetchArtifacts(
  machines: MachineService,
  request: FetchRequest,
  options: { signal?: AbortSignal; onProgress?: (progress: FetchProgress) => void } = {},
): Promise<{ dest: string; files: Artifact[] }> {
  const project = await inspectProject(request.project);
  const names = await projectExecutables(project);
  if (names.length === 0) {
    throw new UserError(
      'no-executables',
      `${project.path} declares no executable (no "executable <name>" stanza)`,
      'Only executables are fetched; add an executable stanza or pick another project.',
    );
  }
  const dest = normalizeProjectPath(request.dest);
  const log = createLogger(`artifacts:${request.vm}`);
  const session = await machines.session(request.vm);
  const installed = await machines.ghcVersions(request.vm);
  const ghc = request.ghc ?? installed[installed.length - 1];

  const remote = await locateExecutables(session, remoteProjectDir(project.name), names, ghc);
  const total = remote.reduce((sum, file) => sum + file.bytes, 0);
  const files: Artifact[] = [];
  let done = 0;

  for (const [index, file] of remote.entries()) {
    options.signal?.throwIfAborted();
    const artifact = await fetchFile(session, file, dest, {
      log,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (bytes) =>
        options.onProgress?.({
          file: file.name,
          index,
          count: remote.length,
          bytes: done + bytes,
          total,
        }),
    });
    done += file.bytes;
    files.push(artifact);
  }
  return { dest, files };
}
