import { useEffect, useRef } from 'react';

import type { TerminalInfo } from '../../../../electron/core/api/contract-workspace.ts';
import { terminalHandle, useWorkspace } from './workspace-store.ts';

/** Shows one terminal's xterm; the PTY on the VM follows the pane's size. */
export function TerminalView({ info, active }: { info: TerminalInfo; active: boolean }) {
  const container = useRef<HTMLDivElement>(null);
  const reconnect = useWorkspace((state) => state.reconnect);
  const closeTerminal = useWorkspace((state) => state.closeTerminal);

  useEffect(() => {
    const handle = terminalHandle(info.id);
    const host = container.current;
    if (!handle || !host) return;
    handle.mount(host);
    const observer = new ResizeObserver(() => handle.resizeToFit());
    observer.observe(host);
    return () => {
      observer.disconnect();
      handle.element.remove();
    };
  }, [info.id]);

  useEffect(() => {
    const handle = terminalHandle(info.id);
    if (!active || !handle) return;
    handle.resizeToFit();
    handle.term.focus();
  }, [active, info.id]);

  return (
    <div
      className="terminal-pane"
      data-testid={`terminal-${info.id}`}
      data-state={info.state}
      hidden={!active}
    >
      <div className="terminal-screen" ref={container} />
      {info.state === 'dropped' && (
        <div className="terminal-banner bad" role="alert" data-testid="terminal-dropped">
          <span>
            Connection lost: {info.message ?? 'the tunnel to the VM dropped'}.
            {info.persistent ? ' GHCi keeps running in tmux on the VM.' : ''}
          </span>
          <button type="button" className="primary" onClick={() => void reconnect(info.id)}>
            Reconnect
          </button>
        </div>
      )}
      {info.state === 'closed' && (
        <div className="terminal-banner" role="status" data-testid="terminal-closed">
          <span>{info.message ?? 'The REPL ended.'}</span>
          <button type="button" onClick={() => void closeTerminal(info.id)}>
            Close tab
          </button>
        </div>
      )}
    </div>
  );
}
