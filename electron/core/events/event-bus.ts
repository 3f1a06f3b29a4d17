import { EventEmitter } from 'node:events';

import type { EventName, EventPayload } from '../api/contract.ts';

export type EventListener = <E extends EventName>(name: E, payload: EventPayload<E>) => void;

/** Where the core announces what changed; each transport forwards every event to its clients. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per connected window or socket; more than ten is normal, not a leak.
    this.emitter.setMaxListeners(0);
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    this.emitter.emit('event', name, payload);
  }

  /** Returns a function that unsubscribes. */
  subscribe(listener: EventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
