/**
 * Exposes exactly the panel's API to the isolated renderer: `call` and `onEvent`, nothing of
 * ipcRenderer itself. Runs sandboxed, so it may import only `electron`.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

import type { PreloadBridge } from '../../renderer/src/api/ipc-transport.ts';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels.ts';

const bridge: PreloadBridge = {
  call: (operation, input) => ipcRenderer.invoke(CALL_CHANNEL, operation, input),
  onEvent: (listener) => {
    const handler = (
      _event: IpcRendererEvent,
      name: Parameters<typeof listener>[0],
      payload: unknown,
    ) => listener(name, payload);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('buildMachines', bridge);
