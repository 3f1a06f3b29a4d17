/** The State Hub area (issue 5): catalog, credentials, SSH config, tunnel health. */
import { readFile } from 'node:fs/promises';

import { hubContract, type HubStatus } from '../api/contract-hub.ts';
import { ensureBuildKey, readBuildKey } from '../credentials/build-key.ts';
import { scanHostKey } from '../credentials/direct-ssh.ts';
import { IMAGE_LAYOUT, injectKeys, type VmLayout } from '../credentials/inject-keys.ts';
import { lanAddresses } from '../credentials/lan-addresses.ts';
import { UserError } from '../errors.ts';
import type { CoreContext, Feature } from '../feature.ts';
import { readClock, resyncClock } from '../health/clock-drift.ts';
import { runDoctor, type CheckContext } from '../health/doctor.ts';
import { HealthMonitor, PROBE_TIMEOUT_MS } from '../health/health-monitor.ts';
import { runSmokeTest } from '../health/smoke-test.ts';
import { probeTunnel } from '../health/tunnel-probe.ts';
import { loadPortRegistry, type MachineEntry } from '../registry/port-registry.ts';
import { fingerprintOf } from '../ssh/host-keys.ts';
import { installSshConfig } from '../sshconfig/ssh-config-installer.ts';
import { HubService } from './hub-service.ts';

export type HubFeatureOperations = typeof hubContract.operations;

export interface HubStartOptions {
  /** Start the panel's own State Hub when none answers (the default for `make start`). */
  embedded?: boolean;
}

export interface HubFeature extends Feature<HubFeatureOperations> {
  /** ensureHub, then the catalog poll and the tunnel health probes; called by the app hosts. */
  start(options?: HubStartOptions): Promise<HubStatus>;
  hub: HubService;
  monitor: HealthMonitor;
  /** Where the VM keeps the agent's files; the lab's namespaces differ from the image. */
  setVmLayout(layout: VmLayout): void;
}

export async function createHubFeature(context: CoreContext): Promise<HubFeature> {
  const { settings, paths, events, machines, hostKeys } = context;
  const hub = new HubService(settings.stateHubUrl, paths.stateDir, events);
  const registry = () => loadPortRegistry(settings.registryPath);
  const monitor = new HealthMonitor({
    machines: registry,
    keyPath: settings.buildKeyPath,
    hostKeys,
    catalog: () => hub.latest(),
    events,
  });
  let layout: VmLayout = IMAGE_LAYOUT;
  let started = false;

  const probe = async (machine: MachineEntry) =>
    probeTunnel(
      machine,
      await readFile(settings.buildKeyPath).catch(() => {
        throw new UserError(
          'build-key-missing',
          `the build key ${settings.buildKeyPath} cannot be read`,
          'Generate it: make keygen',
        );
      }),
      await hostKeys.get(machine.name),
      PROBE_TIMEOUT_MS,
    );
  const checkContext: CheckContext = { machines, probe, catalog: () => hub.poll() };
  const hubPort = () => {
    const url = new URL(settings.stateHubUrl);
    return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  };
  const snapshot = async () => {
    // Without the background loop (CLI), a snapshot is one fresh round.
    if (!started) {
      await hub.poll();
      return monitor.probeAll();
    }
    return monitor.snapshot();
  };

  return {
    hub,
    monitor,
    setVmLayout: (next) => (layout = next),
    async start(options = {}) {
      const status = options.embedded === false ? (await hub.poll()).status : await hub.ensure();
      started = true;
      hub.startPolling();
      monitor.start();
      return status;
    },
    handlers: {
      'hub.status': async () => (await hub.poll()).status,
      'hub.catalog': () => hub.poll(),
      'hub.startEmbedded': () => hub.ensure(),
      'credentials.key': () => readBuildKey(settings.buildKeyPath),
      'credentials.keygen': () => ensureBuildKey(settings.buildKeyPath),
      'credentials.scanHostKey': async ({ vmIp, sshPort }) => {
        const key = await scanHostKey({ host: vmIp, port: sshPort ?? 22 });
        return { type: key.type, fingerprint: fingerprintOf(key) };
      },
      'credentials.injectDefaults': async ({ vm }) => {
        const machine = await machines.machine(vm);
        return {
          vm,
          user: machine.user,
          tunnelPort: machine.port,
          hubPort: hubPort(),
          relayHosts: lanAddresses(),
          relayUser: process.env.USER || 'builder',
          relayPort: 22,
        };
      },
      'credentials.inject': async (input) => {
        const machine = await machines.machine(input.vm);
        const relayPort = input.relayPort ?? 22;
        // The key the VM will see when it dials the relay: read from our own sshd.
        const relayKey = await scanHostKey({ host: input.relayHost, port: relayPort }).catch(
          (error: Error) => {
            throw new UserError(
              'relay-unreachable',
              `this workstation's sshd does not answer at ${input.relayHost}:${relayPort}: ` +
                error.message,
              'Start the SSH server on this workstation (the VMs connect to it), and pick an ' +
                'address of this machine the VM can reach.',
            );
          },
        );
        const report = await injectKeys(
          {
            vm: input.vm,
            vmIp: input.vmIp,
            sshPort: input.sshPort ?? 22,
            user: machine.user,
            password: input.password,
            fingerprint: input.fingerprint,
            relay: {
              host: input.relayHost,
              user: input.relayUser,
              port: relayPort,
              hostKey: `${relayKey.type} ${relayKey.base64}`,
            },
            tunnelPort: machine.port,
            hubPort: hubPort(),
            keyPath: settings.buildKeyPath,
            ...(input.keyDir ? { keyDir: input.keyDir } : {}),
            layout,
          },
          hostKeys,
        );
        machines.closeAll();
        return report;
      },
      'sshConfig.install': async () =>
        installSshConfig({
          machines: await registry(),
          buildKeyPath: settings.buildKeyPath,
          knownHostsFile: hostKeys.file,
        }),
      'health.snapshot': () => snapshot(),
      'health.reprobe': async () => {
        await hub.poll();
        return monitor.probeAgain();
      },
      'health.clock': async ({ vm }) => readClock(vm, await machines.session(vm)),
      'health.resyncClock': async ({ vm }) => {
        const reading = await resyncClock(vm, await machines.session(vm));
        if (!reading.canResync) {
          throw new UserError(
            'clock-resync-refused',
            `${vm} does not allow the panel to set its clock (no password-less sudo)`,
            `Run on the workstation: ${reading.command}`,
          );
        }
        return reading;
      },
      'doctor.run': ({ vm }) => runDoctor(vm, checkContext),
      'smoke.run': ({ vm }) => runSmokeTest(vm, checkContext),
    },
    close: async () => {
      monitor.close();
      await hub.close();
    },
  };
}
