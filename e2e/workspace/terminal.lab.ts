import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Core } from '../../electron/core/core.ts';
import { coreForLab } from '../support/core-for-lab.ts';
import { copyFixture } from '../support/fixtures.ts';
import { labEnv } from '../support/lab-env.ts';
import { dropTunnel } from './lab-tunnel.ts';
import { TerminalWatcher } from './terminal-support.ts';

const lab = labEnv();
let core: Core;

beforeAll(async () => {
  core = await coreForLab(lab);
});

afterAll(() => core.close());

async function openWatched(options: { project?: string; persistent?: boolean }) {
  const terminals = core.features.workspace.terminals;
  const watchers: TerminalWatcher[] = [];
  // Subscribe before the channel opens so the first prompt is not missed: the id is only
  // known afterwards, so the watcher is re-created on the id and the early text replayed.
  const early: { id: string; data: string }[] = [];
  const unsubscribe = core.events.subscribe((name, payload) => {
    if (name === 'terminal.output') early.push(payload as { id: string; data: string });
  });
  const info = await terminals.open({ vm: lab.vm, cols: 80, rows: 24, ...options });
  const watcher = new TerminalWatcher(core, info.id);
  unsubscribe();
  watcher.text =
    early
      .filter((o) => o.id === info.id)
      .map((o) => o.data)
      .join('') + watcher.text;
  watchers.push(watcher);
  return { info, watcher };
}

describe('GHCi terminal on the lab VM', () => {
  it('runs cabal repl in the synced project, answers :t map and follows a resize', async () => {
    const project = await copyFixture('hello');
    const { info, watcher } = await openWatched({ project, persistent: false });
    expect(info.state).toBe('open');
    expect(info.title).toMatch(/^cabal repl hello-\w+$/);

    await watcher.waitFor(/\*?Hello>|ghci>/, 60_000);
    let mark = watcher.text.length;
    watcher.input(':t map\r');
    await watcher.waitFor('map :: (a -> b) -> [a] -> [b]', 10_000, mark);

    core.features.workspace.terminals.resize(info.id, { cols: 132, rows: 40 });
    mark = watcher.text.length;
    watcher.input(':! stty size\r');
    await watcher.waitFor('40 132', 10_000, mark);

    mark = watcher.text.length;
    watcher.input('putStrLn "λ → ✓"\r');
    await watcher.waitFor('λ → ✓\r\n', 10_000, mark);

    watcher.input(':quit\r');
    await watcher.waitForState('closed');
    watcher.stop();
  });

  it('pauses a flood while the window does not acknowledge, and Ctrl-C stops it', async () => {
    const { info, watcher } = await openWatched({ persistent: false });
    await watcher.waitFor(/ghci>|Prelude>/, 30_000);
    const terminal = core.features.workspace.terminals.terminal(info.id);

    watcher.ack = false;
    watcher.input('mapM_ print [1..]\r');
    const deadline = Date.now() + 10_000;
    while (!terminal.paused && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(terminal.paused).toBe(true);
    // Paused: the VM's program blocks, so the text stops growing beyond the high-water mark.
    const heldAt = watcher.text.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watcher.text.length - heldAt).toBeLessThan(64 * 1024);
    expect(watcher.maxBatch).toBeLessThanOrEqual(64 * 1024);

    watcher.input('\x03');
    watcher.ack = true;
    terminal.ack(terminal.offset);
    const mark = watcher.text.length;
    await watcher.waitFor(/Interrupted\.[\s\S]*(ghci>|Prelude>) $/, 20_000, mark);
    expect(info.state).toBe('open');
    watcher.input(':quit\r');
    await watcher.waitForState('closed');
    watcher.stop();
  });
});

describe('GHCi in tmux across a dropped tunnel', () => {
  it('shows the drop, and a reconnect finds GHCi with its bindings', async () => {
    const { info, watcher } = await openWatched({ persistent: true });
    expect(info.persistent).toBe(true);
    await watcher.waitFor(/ghci>|Prelude>/, 30_000);
    let mark = watcher.text.length;
    watcher.input('let answer = 6 * 7\r');
    watcher.input('answer\r');
    await watcher.waitFor(/\b42\b/, 10_000, mark);

    dropTunnel(lab);
    await watcher.waitForState('dropped', 20_000);
    const listed = core.features.workspace.terminals.list().find((t) => t.id === info.id);
    expect(listed).toMatchObject({ state: 'dropped' });
    expect(listed?.message).toMatch(/connection to the VM dropped/);
    expect(() => watcher.input('answer\r')).toThrow(/dropped/);

    // autossh reopens the tunnel within a moment; retry bounded while it is not back yet.
    const beforeReconnect = watcher.text.length;
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await core.features.workspace.terminals.reconnect(info.id);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
    // Type once tmux has reattached and redrawn GHCi, as a person would: keys sent while the
    // client is still starting can reach the terminal before it is in raw mode.
    await watcher.waitFor(/ghci>/, 20_000, beforeReconnect);
    mark = watcher.text.length;
    watcher.input('answer + 1\r');
    await watcher.waitFor(/\b43\b/, 10_000, mark);

    await core.features.workspace.terminals.close(info.id);
    const session = await core.machines.session(lab.vm);
    // The bracket keeps pgrep from matching the shell that runs it; GHCi ends on the hang-up
    // tmux sends, which may take a moment (bounded poll).
    const survivors = async () =>
      (await session.capture('pgrep -u builder -f "[g]hc.*--interactive" || true')).stdout
        .toString('utf8')
        .trim();
    let left = await survivors();
    for (let attempt = 0; attempt < 20 && left !== ''; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await survivors();
    }
    expect(left).toBe('');
    watcher.stop();
  });
});
