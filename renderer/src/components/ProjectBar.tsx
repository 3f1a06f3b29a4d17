import { useEffect, useId, useState } from 'react';

import { usePanel } from '../state/store.ts';
import { ErrorNote } from './ErrorNote.tsx';

/**
 * The project folder: a native dialog in Electron; in browser mode a path field whose
 * completions the core serves (folder names only).
 */
export function ProjectBar() {
  const api = usePanel((state) => state.api);
  const info = usePanel((state) => state.info);
  const path = usePanel((state) => state.projectPath);
  const project = usePanel((state) => state.project);
  const projectError = usePanel((state) => state.projectError);
  const setPath = usePanel((state) => state.setProjectPath);
  const inspect = usePanel((state) => state.inspectProject);
  const pickFolder = usePanel((state) => state.pickFolder);
  const [completions, setCompletions] = useState<string[]>([]);
  const listId = useId();

  useEffect(() => {
    if (!api) return;
    let current = true;
    const timer = setTimeout(() => {
      api.call('projects.complete', { prefix: path }).then(
        (found) => current && setCompletions(found),
        () => current && setCompletions([]),
      );
    }, 120);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [api, path]);

  return (
    <section className="project" aria-label="Project">
      <label htmlFor="project-path">Project folder</label>
      <div className="project-row">
        <input
          id="project-path"
          data-testid="project-path"
          list={listId}
          value={path}
          spellCheck={false}
          placeholder="~/projects/my-app"
          onChange={(event) => setPath(event.target.value)}
          onBlur={() => path && void inspect()}
        />
        <datalist id={listId}>
          {completions.map((completion) => (
            <option key={completion} value={completion} />
          ))}
        </datalist>
        {info?.nativeDialogs && (
          <button type="button" onClick={() => void pickFolder()}>
            Choose…
          </button>
        )}
      </div>
      {project && (
        <div className="muted" data-testid="project-info">
          {project.name}:{' '}
          {[...project.cabalFiles, project.hasCabalProject ? 'cabal.project' : '']
            .filter(Boolean)
            .join(', ')}
        </div>
      )}
      <ErrorNote error={projectError} testId="project-error" />
    </section>
  );
}
