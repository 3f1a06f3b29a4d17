import { describe, expect, it } from 'vitest';

import { isExternalLink, secureWindowOptions } from './window-options.ts';

describe('secureWindowOptions', () => {
  it("follows Electron's security checklist for the renderer", () => {
    const { webPreferences } = secureWindowOptions('/app/out/preload/index.cjs');
    expect(webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});

describe('isExternalLink', () => {
  it('lets only http and https links out', () => {
    expect(isExternalLink('https://hackage.haskell.org/package/base')).toBe(true);
    expect(isExternalLink('http://127.0.0.1:8000/')).toBe(true);
    expect(isExternalLink('file:///etc/passwd')).toBe(false);
    expect(isExternalLink('javascript:alert(1)')).toBe(false);
    expect(isExternalLink('smb://host/share')).toBe(false);
    expect(isExternalLink('not a url')).toBe(false);
  });
});
