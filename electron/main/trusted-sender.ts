/**
 * Whether an IPC message comes from the panel's own page: the main frame of our window, loaded
 * from the bundled renderer (file://…/out/renderer/index.html) or the dev server. Anything
 * else (a navigated-away page, an iframe, another window) is refused before its payload is read.
 */
export interface SenderFrame {
  url: string;
  /** Electron's WebFrameMain: null for a window's main frame. */
  parent: unknown;
}

export function isTrustedSender(frame: SenderFrame | null | undefined, rendererUrl: string) {
  if (!frame || frame.parent !== null) return false;
  let actual: URL;
  let expected: URL;
  try {
    actual = new URL(frame.url);
    expected = new URL(rendererUrl);
  } catch {
    return false;
  }
  if (actual.protocol !== expected.protocol) return false;
  if (expected.protocol === 'file:') return actual.pathname === expected.pathname;
  return actual.origin === expected.origin;
}
