import type { CallResult, EventName, OperationName } from '../../../electron/core/api/contract.ts';
import type { AnyEventListener, Transport } from './api-client.ts';

/** What the Electron preload exposes on `window.buildMachines`, and nothing more. */
export interface PreloadBridge {
  call(operation: OperationName, input: unknown): Promise<CallResult<unknown>>;
  onEvent(listener: (name: EventName, payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    buildMachines?: PreloadBridge;
  }
}

export class IpcTransport implements Transport {
  readonly kind = 'ipc' as const;

  constructor(private readonly bridge: PreloadBridge) {}

  call(operation: OperationName, input: unknown): Promise<CallResult<unknown>> {
    return this.bridge.call(operation, input);
  }

  onEvent(listener: AnyEventListener): () => void {
    return this.bridge.onEvent(listener);
  }
}
