/** The two IPC channels between main and preload: calls go one way, events the other. */
export const CALL_CHANNEL = 'build-machines:call';
export const EVENT_CHANNEL = 'build-machines:event';
