import type { CallResult, EventName, OperationName } from '../../../electron/core/api/contract.ts';
import type { AnyEventListener, Transport } from './api-client.ts';

const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 5000];

interface Pending {
  resolve: (result: CallResult<unknown>) => void;
}

/**
 * Browser mode: calls and events over one WebSocket to the panel's loopback server. The token
 * from the page URL authorises the socket. It reconnects after a drop; calls made while
 * disconnected wait for the connection.
 */
export class WebSocketTransport implements Transport {
  readonly kind = 'websocket' as const;
  private socket: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<AnyEventListener>();
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  private opened: Promise<WebSocket> | undefined;
  private attempts = 0;

  constructor(private readonly url: string) {}

  call(operation: OperationName, input: unknown): Promise<CallResult<unknown>> {
    return this.open().then(
      (socket) =>
        new Promise<CallResult<unknown>>((resolve) => {
          const id = this.nextId++;
          this.pending.set(id, { resolve });
          socket.send(JSON.stringify({ type: 'call', id, op: operation, input }));
        }),
    );
  }

  onEvent(listener: AnyEventListener): () => void {
    this.listeners.add(listener);
    void this.open();
    return () => this.listeners.delete(listener);
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  private open(): Promise<WebSocket> {
    this.opened ??= new Promise<WebSocket>((resolve) => this.connect(resolve));
    return this.opened;
  }

  private connect(resolve: (socket: WebSocket) => void): void {
    const socket = new WebSocket(this.url);

    socket.onopen = () => {
      this.socket = socket;
      this.attempts = 0;
      this.connectionListeners.forEach((listener) => listener(true));
      resolve(socket);
    };
    socket.onmessage = (message) => this.receive(String(message.data));
    socket.onclose = () => {
      const wasOpen = this.socket === socket;
      this.socket = undefined;
      if (wasOpen) {
        this.connectionListeners.forEach((listener) => listener(false));
        this.failPending();
        this.opened = new Promise<WebSocket>((next) => this.scheduleReconnect(next));
      } else {
        this.scheduleReconnect(resolve);
      }
    };
  }

  private scheduleReconnect(resolve: (socket: WebSocket) => void): void {
    const delay = RECONNECT_DELAYS_MS[Math.min(this.attempts, RECONNECT_DELAYS_MS.length - 1)];
    this.attempts++;
    setTimeout(() => this.connect(resolve), delay);
  }

  private failPending(): void {
    for (const { resolve } of this.pending.values()) {
      resolve({
        ok: false,
        error: {
          code: 'disconnected',
          message: 'the connection to the panel server dropped',
          fix: 'Check that `make start` is still running, then retry.',
        },
      });
    }
    this.pending.clear();
  }

  private receive(text: string): void {
    const message = JSON.parse(text) as
      | { type: 'result'; id: number; result: CallResult<unknown> }
      | { type: 'event'; name: EventName; payload: unknown };
    if (message.type === 'result') {
      this.pending.get(message.id)?.resolve(message.result);
      this.pending.delete(message.id);
    } else {
      this.listeners.forEach((listener) => listener(message.name, message.payload));
    }
  }
}

/** The socket URL for this page: same origin, `/api`, with the token from the page URL. */
export function websocketUrlFor(location: Location): string | undefined {
  const token = new URLSearchParams(location.search).get('token');
  if (!token) return undefined;
  return `ws://${location.host}/api?token=${encodeURIComponent(token)}`;
}
