import '@xterm/xterm/css/xterm.css';

import { useState } from 'react';

import { ErrorNote } from '../../components/ErrorNote.tsx';
import { usePanel } from '../../state/store.ts';
import { TerminalView } from './TerminalView.tsx';
import { useWorkspace } from './workspace-store.ts';

const STATE_LABEL = { opening: 'opening', open: 'open', dropped: 'dropped', closed: 'ended' };

/** GHCi terminals in tabs: `cabal repl` in the project, or plain GHCi with a chosen GHC. */
export function TerminalsSection() {
  const selectedVm = usePanel((state) => state.selectedVm);
  const projectPath = usePanel((state) => state.projectPath);
  const ghcVersions = usePanel((state) => state.ghcVersions);
  const { terminals, activeId, opening, openError } = useWorkspace();
  const { openTerminal, closeTerminal, setActive } = useWorkspace();
  const [mode, setMode] = useState<'project' | 'ghci'>(projectPath ? 'project' : 'ghci');
  const [ghc, setGhc] = useState('');
  const [persistent, setPersistent] = useState(true);

  const open = () => {
    if (!selectedVm) return;
    void openTerminal({
      vm: selectedVm,
      persistent,
      ...(mode === 'project' ? { project: projectPath } : {}),
      ...(ghc ? { ghc } : {}),
    });
  };

  return (
    <section className="workspace-section" aria-label="GHCi terminals">
      <div className="controls-row">
        <h3>GHCi</h3>
        <select
          aria-label="REPL kind"
          data-testid="repl-kind"
          value={mode}
          onChange={(event) => setMode(event.target.value as 'project' | 'ghci')}
        >
          <option value="project">cabal repl in the project</option>
          <option value="ghci">plain GHCi</option>
        </select>
        <select
          aria-label="GHC version"
          data-testid="repl-ghc"
          value={ghc}
          onChange={(event) => setGhc(event.target.value)}
        >
          <option value="">default GHC</option>
          {ghcVersions.map((version) => (
            <option key={version} value={version}>
              {version}
            </option>
          ))}
        </select>
        <label title="Run the REPL inside tmux on the VM, so a reconnect finds it as it was">
          <input
            type="checkbox"
            data-testid="repl-persistent"
            checked={persistent}
            onChange={(event) => setPersistent(event.target.checked)}
          />{' '}
          keep on VM (tmux)
        </label>
        <button
          type="button"
          className="primary"
          data-testid="open-terminal"
          disabled={!selectedVm || opening || (mode === 'project' && !projectPath)}
          onClick={open}
        >
          {opening ? 'Opening…' : 'Open terminal'}
        </button>
        {mode === 'project' && (
          <span className="muted">{projectPath || 'choose a project in the Builds tab'}</span>
        )}
      </div>
      <ErrorNote error={openError} testId="terminal-error" />

      {terminals.length > 0 && (
        <div className="terminal-tabs" role="tablist" aria-label="Terminals">
          {terminals.map((info) => (
            <div
              key={info.id}
              role="tab"
              aria-selected={info.id === activeId}
              className={info.id === activeId ? 'terminal-tab active' : 'terminal-tab'}
            >
              <button type="button" className="tab-title" onClick={() => setActive(info.id)}>
                <span className={`dot ${info.state}`} aria-label={STATE_LABEL[info.state]} />
                {info.title} · {info.vm}
              </button>
              <button
                type="button"
                className="tab-close"
                aria-label={`Close ${info.title}`}
                onClick={() => void closeTerminal(info.id)}
              >
                ×
              </button>
            </div>
          ))}
        </div>
      )}
      {terminals.map((info) => (
        <TerminalView key={info.id} info={info} active={info.id === activeId} />
      ))}
      {terminals.length > 0 && (
        <p className="muted small">
          Ctrl-C interrupts GHCi · Ctrl+Shift+C / Ctrl+Shift+V copy and paste · drag the pane&apos;s
          corner to resize
        </p>
      )}
    </section>
  );
}
