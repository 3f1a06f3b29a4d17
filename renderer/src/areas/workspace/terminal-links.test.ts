import { describe, expect, it } from 'vitest';

import { findUrls } from './terminal-links.ts';

describe('findUrls', () => {
  it('finds http and https URLs with their column ranges', () => {
    const line = 'see https://hackage.haskell.org/package/base and http://x.test/a?b=1';
    expect(findUrls(line)).toEqual([
      { start: 4, end: 44, url: 'https://hackage.haskell.org/package/base' },
      { start: 49, end: 68, url: 'http://x.test/a?b=1' },
    ]);
  });

  it('leaves trailing punctuation and brackets out of the link', () => {
    expect(findUrls('(docs: https://ghc.dev/x).').map((u) => u.url)).toEqual(['https://ghc.dev/x']);
  });

  it('ignores other schemes and bare words', () => {
    expect(findUrls('file:///etc/passwd javascript:alert(1) www.example.org')).toEqual([]);
  });
});
