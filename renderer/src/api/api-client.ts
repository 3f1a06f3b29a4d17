import type {
  CallResult,
  EventName,
  EventPayload,
  OperationInput,
  OperationName,
  OperationOutput,
} from '../../../electron/core/api/contract.ts';

/** A failed call, carrying the core's message and its suggested fix. */
export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

export type AnyEventListener = (name: EventName, payload: unknown) => void;

/** What a transport must carry: raw calls and a stream of events. */
export interface Transport {
  readonly kind: 'ipc' | 'websocket';
  call(operation: OperationName, input: unknown): Promise<CallResult<unknown>>;
  onEvent(listener: AnyEventListener): () => void;
  /** Connection state, for the banner; IPC is always connected. */
  onConnectionChange?(listener: (connected: boolean) => void): () => void;
}

/**
 * The typed API the renderer uses, whichever transport carries it: components never know
 * whether they run in Electron or in a browser.
 */
export class ApiClient {
  constructor(readonly transport: Transport) {}

  async call<K extends OperationName>(
    operation: K,
    input: OperationInput<K>,
  ): Promise<OperationOutput<K>> {
    const result = await this.transport.call(operation, input);
    if (!result.ok)
      throw new ApiCallError(result.error.code, result.error.message, result.error.fix);
    return result.value as OperationOutput<K>;
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.transport.onEvent((name, payload) => {
      if (name === event) listener(payload as EventPayload<E>);
    });
  }
}
