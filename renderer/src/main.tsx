import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { ApiClient, type Transport } from './api/api-client.ts';
import { IpcTransport } from './api/ipc-transport.ts';
import { WebSocketTransport, websocketUrlFor } from './api/websocket-transport.ts';
import { App } from './components/App.tsx';
import { usePanel } from './state/store.ts';
import './styles.css';

/** Electron's preload provides the bridge; a browser gets the token in the URL instead. */
function chooseTransport(): Transport | undefined {
  if (window.buildMachines) return new IpcTransport(window.buildMachines);
  const url = websocketUrlFor(window.location);
  return url ? new WebSocketTransport(url) : undefined;
}

const root = createRoot(document.getElementById('root')!);
const transport = chooseTransport();

if (!transport) {
  root.render(
    <p className="error-note" role="alert">
      This page needs the address printed by <code>make start</code>, including its
      <code> ?token=…</code> part.
    </p>,
  );
} else {
  void usePanel.getState().connect(new ApiClient(transport));
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
