/** GHCi terminals, artefacts and GHC versions (issue 6). */
import { useEffect } from 'react';

import { usePanel } from '../../state/store.ts';
import { ArtifactsSection } from './ArtifactsSection.tsx';
import { GhcSection } from './GhcSection.tsx';
import { TerminalsSection } from './TerminalsSection.tsx';
import { useWorkspace } from './workspace-store.ts';
import './workspace.css';

export function WorkspacePanel() {
  const api = usePanel((state) => state.api);
  const attach = useWorkspace((state) => state.attach);

  useEffect(() => {
    if (api) void attach(api);
  }, [api, attach]);

  return (
    <div className="workspace">
      <TerminalsSection />
      <ArtifactsSection />
      <GhcSection />
    </div>
  );
}
