/**
 * The lab VirtualBox's registry of machines: one JSON record per VM under
 * $FAKE_VBOX_HOME/machines, written by rename so concurrent VBoxManage runs (a poll beside a
 * start) never read half a file. The VM's own folder, as VirtualBox would make it, is under
 * $FAKE_VBOX_HOME/VirtualBox VMs/<name>.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type FakeState = 'poweroff' | 'running' | 'saved' | 'aborted' | 'stopping';

export interface FakeMachine {
  uuid: string;
  name: string;
  ostype: string;
  description?: string;
  memory: number;
  cpus: number;
  /** The folder holding the .vbox file and the disks. */
  folder: string;
  cfgFile: string;
  disks: string[];
  nic1: 'nat' | 'bridged';
  bridgeadapter1?: string;
  /** Twelve hex digits, as showvminfo prints them. */
  mac1: string;
  state: FakeState;
  stateChangedAt: string;
  /** While running: the lab host index (namespace bm-<lab>-fv<index>) and the guest's IP. */
  labIndex?: number;
  guestIp?: string;
  /** When the VM was started, for uptime. */
  startedAt?: string;
}

export class FakeStore {
  readonly home: string;

  constructor(home = process.env.FAKE_VBOX_HOME) {
    if (!home) {
      process.stderr.write(
        'VBoxManage (lab): FAKE_VBOX_HOME is not set; the lab VirtualBox keeps its VMs there\n',
      );
      process.exit(1);
    }
    this.home = home;
    mkdirSync(join(home, 'machines'), { recursive: true });
  }

  get vmsFolder(): string {
    return join(this.home, 'VirtualBox VMs');
  }

  runFolder(uuid: string): string {
    return join(this.home, 'run', uuid);
  }

  all(): FakeMachine[] {
    const dir = join(this.home, 'machines');
    return readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as FakeMachine)
      .sort((a, b) => a.cfgFile.localeCompare(b.cfgFile));
  }

  /** By UUID (braces allowed, as VBoxManage takes them) or by exact name. */
  find(nameOrUuid: string): FakeMachine | undefined {
    const bare = nameOrUuid.replace(/^\{(.*)\}$/, '$1').toLowerCase();
    const machines = this.all();
    return (
      machines.find((machine) => machine.uuid === bare) ??
      machines.find((machine) => machine.name === nameOrUuid)
    );
  }

  save(machine: FakeMachine): void {
    const file = join(this.home, 'machines', `${machine.uuid}.json`);
    const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temporary, JSON.stringify(machine, null, 2));
    renameSync(temporary, file);
  }

  setState(machine: FakeMachine, state: FakeState): void {
    machine.state = state;
    machine.stateChangedAt = new Date().toISOString();
    if (state !== 'running' && state !== 'stopping') {
      delete machine.labIndex;
      delete machine.guestIp;
      delete machine.startedAt;
    }
    this.save(machine);
  }

  remove(machine: FakeMachine): void {
    rmSync(join(this.home, 'machines', `${machine.uuid}.json`), { force: true });
    rmSync(this.runFolder(machine.uuid), { recursive: true, force: true });
  }

  newUuid(): string {
    return randomUUID();
  }

  /** A MAC in VirtualBox's 08:00:27 range that no other VM has. */
  newMac(): string {
    const taken = new Set(this.all().map((machine) => machine.mac1));
    for (;;) {
      const mac = `080027${randomBytes(3).toString('hex').toUpperCase()}`;
      if (!taken.has(mac)) return mac;
    }
  }

  exists(path: string): boolean {
    return existsSync(path);
  }
}
