import { describe, expect, it } from 'vitest';

import { isTrustedSender } from './trusted-sender.ts';

const BUNDLED = 'file:///opt/Build%20Machines/resources/app/out/renderer/index.html';

describe('isTrustedSender', () => {
  it('accepts the main frame of the bundled renderer, with or without a hash', () => {
    expect(isTrustedSender({ url: BUNDLED, parent: null }, BUNDLED)).toBe(true);
    expect(isTrustedSender({ url: `${BUNDLED}#run`, parent: null }, BUNDLED)).toBe(true);
  });

  it('refuses sub-frames, other files, other schemes and garbage', () => {
    expect(isTrustedSender({ url: BUNDLED, parent: {} }, BUNDLED)).toBe(false);
    expect(isTrustedSender({ url: 'file:///tmp/evil.html', parent: null }, BUNDLED)).toBe(false);
    expect(isTrustedSender({ url: 'https://example.com/', parent: null }, BUNDLED)).toBe(false);
    expect(isTrustedSender({ url: 'not a url', parent: null }, BUNDLED)).toBe(false);
    expect(isTrustedSender(null, BUNDLED)).toBe(false);
  });

  it('matches the dev server by origin only', () => {
    const dev = 'http://localhost:5173/';
    expect(isTrustedSender({ url: 'http://localhost:5173/x', parent: null }, dev)).toBe(true);
    expect(isTrustedSender({ url: 'http://localhost:5174/', parent: null }, dev)).toBe(false);
  });
});
