import { usePanel } from '../state/store.ts';
import { BuildControls } from './BuildControls.tsx';
import { DiagnosticsList } from './DiagnosticsList.tsx';
import { HistoryTable } from './HistoryTable.tsx';
import { LogView } from './LogView.tsx';
import { MachineCards } from './MachineCards.tsx';
import { ProjectBar } from './ProjectBar.tsx';
import { RunStatus } from './RunStatus.tsx';

export function App() {
  const connected = usePanel((state) => state.connected);
  const info = usePanel((state) => state.info);
  const run = usePanel((state) =>
    state.currentRunId ? state.runs[state.currentRunId] : undefined,
  );

  return (
    <div className="app">
      <header className="app-head">
        <h1>Build Machines</h1>
        {info && (
          <span className="muted" title={info.registryPath}>
            {info.transport === 'ipc' ? 'desktop' : 'browser mode'} · v{info.version}
          </span>
        )}
      </header>
      {!connected && (
        <div className="banner" role="alert">
          Lost the connection to the panel server; reconnecting…
        </div>
      )}
      <main className="layout">
        <aside>
          <MachineCards />
        </aside>
        <div className="work">
          <ProjectBar />
          <BuildControls />
          {run && (
            <>
              <RunStatus run={run} />
              <DiagnosticsList run={run} />
              <LogView runId={run.id} />
            </>
          )}
          <HistoryTable />
        </div>
      </main>
    </div>
  );
}
