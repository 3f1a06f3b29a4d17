/** Building the image with Packer (issue 4): tools check, GHC inputs, live log, result. */
import { useEffect, useRef } from 'react';

import type {
  ImageBuild,
  ImageLogLine,
  ImageTool,
} from '../../../../electron/core/api/contract-image.ts';
import { formatSize } from '../../../../electron/core/packer/image-display.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { useImage } from './image-store.ts';
import './image.css';

function Tool({ name, tool, testId }: { name: string; tool: ImageTool; testId: string }) {
  return (
    <div className={`image-tool ${tool.ok ? 'ok' : 'bad'}`} data-testid={testId}>
      <strong>{name}</strong>{' '}
      {tool.ok ? (
        <span>{tool.version}</span>
      ) : (
        <ErrorNote
          error={{
            message: tool.message ?? `${name} is not usable`,
            ...(tool.fix ? { fix: tool.fix } : {}),
          }}
          testId={`${testId}-error`}
        />
      )}
    </div>
  );
}

function ToolsCheck() {
  const check = useImage((state) => state.check);
  const checking = useImage((state) => state.checking);
  const recheck = useImage((state) => state.recheck);
  return (
    <section className="image-tools" aria-label="Build tools">
      <div className="image-row">
        <span className="muted">
          {check ? `Packer and VirtualBox on ${check.host}` : 'Checking Packer and VirtualBox…'}
        </span>
        <button type="button" disabled={checking} onClick={() => void recheck()}>
          Check again
        </button>
      </div>
      {check && (
        <>
          <Tool name="Packer" tool={check.packer} testId="image-packer" />
          <Tool name="VirtualBox" tool={check.virtualbox} testId="image-virtualbox" />
        </>
      )}
    </section>
  );
}

function LogLines({ lines }: { lines: ImageLogLine[] }) {
  const box = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  useEffect(() => {
    if (box.current && following.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);
  return (
    <div
      className="log image-log"
      ref={box}
      role="log"
      aria-live="polite"
      data-testid="image-log"
      onScroll={(event) => {
        const element = event.currentTarget;
        following.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
      }}
    >
      {lines.map((line, index) => (
        <div key={index} className={`log-line image-log-${line.level}`}>
          {line.text}
        </div>
      ))}
    </div>
  );
}

function Outcome({ build }: { build: ImageBuild }) {
  if (build.status === 'succeeded') {
    return (
      <div className="image-result ok" data-testid="image-result">
        <strong>Ready to import</strong>: <code>{build.ovaPath}</code> (
        {formatSize(build.sizeBytes ?? 0)}) on {build.host}
      </div>
    );
  }
  if (build.status === 'cancelled') {
    return (
      <div className="image-result" data-testid="image-result">
        Cancelled{build.outputRemoved ? '; the partial output was removed.' : '.'}
      </div>
    );
  }
  if (build.status === 'failed') {
    return (
      <div className="image-result bad" data-testid="image-result">
        <div>
          Failed at step: <strong>{build.failedStep ?? 'unknown'}</strong>
        </div>
        {build.errors.map((error, index) => (
          <div key={index} className="image-error">
            {error}
          </div>
        ))}
        <ErrorNote error={build.error} testId="image-build-error" />
      </div>
    );
  }
  return null;
}

function CurrentBuild() {
  const build = useImage((state) => (state.currentId ? state.builds[state.currentId] : undefined));
  const lines = useImage((state) => state.lines);
  const cancel = useImage((state) => state.cancel);
  if (!build) return null;
  const running = build.status === 'running';
  return (
    <section className="image-current" aria-label="Image build">
      <div className="image-row">
        <span data-testid="image-status" className={`image-status ${build.status}`}>
          {build.status}
        </span>
        <span className="image-step" data-testid="image-step">
          {build.step ? `Step: ${build.step}` : ''}
        </span>
        {running && (
          <button type="button" data-testid="image-cancel" onClick={() => void cancel()}>
            Cancel
          </button>
        )}
      </div>
      <Outcome build={build} />
      <LogLines lines={lines} />
    </section>
  );
}

function History() {
  const history = useImage((state) => state.history);
  const open = useImage((state) => state.open);
  if (history.length === 0) return null;
  return (
    <table className="image-history" data-testid="image-history">
      <caption>Image builds</caption>
      <thead>
        <tr>
          <th>Started</th>
          <th>GHC</th>
          <th>Status</th>
          <th>Result</th>
        </tr>
      </thead>
      <tbody>
        {history.map((build) => (
          <tr key={build.id} onClick={() => void open(build.id)}>
            <td>{new Date(build.startedAt).toLocaleString()}</td>
            <td>{build.ghcVersions.join(', ')}</td>
            <td>{build.status}</td>
            <td>
              {build.status === 'succeeded'
                ? build.ovaPath
                : build.status === 'failed'
                  ? `failed at: ${build.failedStep ?? 'unknown'}`
                  : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ImagePanel() {
  const attach = useImage((state) => state.attach);
  const check = useImage((state) => state.check);
  const ghcText = useImage((state) => state.ghcText);
  const setGhcText = useImage((state) => state.setGhcText);
  const start = useImage((state) => state.start);
  const error = useImage((state) => state.error);
  const running = useImage((state) => state.history.some((build) => build.status === 'running'));

  useEffect(() => {
    void attach();
  }, [attach]);

  return (
    <div className="image-panel">
      <ToolsCheck />
      <section className="image-inputs" aria-label="Build image">
        <label>
          GHC versions (default first){' '}
          <input
            data-testid="image-ghc"
            value={ghcText}
            onChange={(event) => setGhcText(event.target.value)}
            placeholder="9.8.4, 9.6.6"
          />
        </label>
        <button
          type="button"
          className="primary"
          data-testid="image-build"
          disabled={running || !check?.ready}
          title={
            check && !check.ready ? 'Packer or VirtualBox is not usable: see above' : undefined
          }
          onClick={() => void start()}
        >
          Build image
        </button>
      </section>
      <ErrorNote error={error} testId="image-error" />
      <CurrentBuild />
      <History />
    </div>
  );
}
