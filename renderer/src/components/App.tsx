import { useState } from 'react';

import { HubPanel } from '../areas/hub/HubPanel.tsx';
import { ImagePanel } from '../areas/image/ImagePanel.tsx';
import { VmsAside } from '../areas/vms/VmsAside.tsx';
import { WorkspacePanel } from '../areas/workspace/WorkspacePanel.tsx';
import { usePanel } from '../state/store.ts';
import { BuildControls } from './BuildControls.tsx';
import { DiagnosticsList } from './DiagnosticsList.tsx';
import { HistoryTable } from './HistoryTable.tsx';
import { LogView } from './LogView.tsx';
import { MachineCards } from './MachineCards.tsx';
import { ProjectBar } from './ProjectBar.tsx';
import { RunStatus } from './RunStatus.tsx';

const TABS = ['Builds', 'Workspace', 'State Hub', 'Image'] as const;
type Tab = (typeof TABS)[number];

function BuildsPanel() {
  const run = usePanel((state) =>
    state.currentRunId ? state.runs[state.currentRunId] : undefined,
  );
  return (
    <>
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
    </>
  );
}

export function App() {
  const connected = usePanel((state) => state.connected);
  const info = usePanel((state) => state.info);
  const [tab, setTab] = useState<Tab>('Builds');

  return (
    <div className="app">
      <header className="app-head">
        <h1>Build Machines</h1>
        <nav className="tabs" role="tablist">
          {TABS.map((name) => (
            <button
              key={name}
              type="button"
              role="tab"
              aria-selected={tab === name}
              className={tab === name ? 'tab active' : 'tab'}
              onClick={() => setTab(name)}
            >
              {name}
            </button>
          ))}
        </nav>
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
          <VmsAside />
        </aside>
        <div className="work" role="tabpanel" aria-label={tab}>
          {tab === 'Builds' && <BuildsPanel />}
          {tab === 'Workspace' && <WorkspacePanel />}
          {tab === 'State Hub' && <HubPanel />}
          {tab === 'Image' && <ImagePanel />}
        </div>
      </main>
    </div>
  );
}
