/**
 * The seed's ./smoke-test.sh: walks the stack from the bottom and reports each layer: VM
 * running, agent active, reverse tunnel, forward tunnel, registration, `ssh <vm>` with the
 * installed config (the real OpenSSH client), `ghc --version`.
 */
import type { Check, CheckReport } from '../api/contract-hub.ts';
import { shellCommand } from '../exec/shell-quote.ts';
import { LocalRunner } from '../exec/local-runner.ts';
import { sshConfigPaths } from '../sshconfig/ssh-config-installer.ts';
import { VBoxManageDriver } from '../vbox/vbox-driver.ts';
import type { CheckContext } from './doctor.ts';
import {
  check,
  FORWARD_TUNNEL_TITLE,
  forwardTunnelCheck,
  lastLines,
  runOnVm,
  SCRIPTS,
} from './vm-checks.ts';

export async function runSmokeTest(vm: string, context: CheckContext): Promise<CheckReport> {
  const machine = await context.machines.machine(vm);
  const checks: Check[] = [];
  const probe = await context.probe(machine);

  checks.push(await vmRunning(vm, probe.handshake === 'ok'));

  const reachable = probe.handshake === 'ok';
  if (reachable) {
    const session = await context.machines.session(vm);
    const agent = await runOnVm(session, SCRIPTS.agentActive);
    checks.push(
      check(
        'agent',
        'build-agent active',
        agent.exitCode === 0 ? 'pass' : 'fail',
        lastLines(agent.output, 1) || `exit ${agent.exitCode}`,
        'On the VM: sudo systemctl restart build-agent; journalctl -u build-agent',
      ),
    );
  } else {
    checks.push(
      check(
        'agent',
        'build-agent active',
        'skip',
        'the VM is not reachable over SSH',
        'Check the VM console: systemctl status build-agent',
      ),
    );
  }

  checks.push(
    check(
      'reverse-tunnel',
      `Reverse tunnel -R ${machine.port}:localhost:22`,
      reachable ? 'pass' : 'fail',
      reachable
        ? `SSH answers through port ${machine.port} in ${probe.rttMs} ms`
        : (probe.message ?? probe.handshake),
      'Run `make doctor` for the reason.',
    ),
  );

  if (reachable) {
    checks.push(
      await forwardTunnelCheck(
        await context.machines.session(vm),
        'Check that the State Hub runs on this workstation (make start runs one) and restart ' +
          'the agent.',
      ),
    );
  } else {
    checks.push(
      check('forward-tunnel', FORWARD_TUNNEL_TITLE, 'skip', 'the VM is not reachable over SSH'),
    );
  }

  const catalog = await context.catalog();
  const entry = catalog.entries.find((candidate) => candidate.name === vm);
  checks.push(
    check(
      'registration',
      'Registered in the State Hub',
      entry?.freshness === 'online' ? 'pass' : 'fail',
      entry
        ? `${entry.freshness}, GHC ${entry.ghcVersions.join(', ') || 'none'}`
        : (catalog.status.message ?? `no entry for ${vm}`),
      'Run `make doctor` for the reason.',
    ),
  );

  const config = sshConfigPaths().configFile;
  const ssh = await sshWithConfig(config, vm, ['true']);
  checks.push(
    check(
      'ssh-config',
      `ssh ${vm} with the installed config`,
      ssh.exitCode === 0 ? 'pass' : 'fail',
      ssh.exitCode === 0 ? `ssh -F ${config} ${vm} true succeeded` : lastLines(ssh.stderr),
      'Install the SSH config: make install-ssh-config',
    ),
  );

  const ghc =
    ssh.exitCode === 0
      ? await sshWithConfig(config, vm, ['bash', '-c', SCRIPTS.ghcVersion])
      : undefined;
  checks.push(
    ghc === undefined
      ? check('ghc', 'ghc --version on the VM', 'skip', 'ssh did not work')
      : check(
          'ghc',
          'ghc --version on the VM',
          ghc.exitCode === 0 ? 'pass' : 'fail',
          lastLines(ghc.exitCode === 0 ? ghc.stdout : ghc.stderr, 1),
          `Install one: ssh ${vm} "source ~/.ghcup/env && ghcup install ghc 9.8.4"`,
        ),
  );

  return { vm, ok: checks.every((item) => item.verdict !== 'fail'), checks };
}

async function vmRunning(vm: string, answers: boolean): Promise<Check> {
  const title = 'VM running';
  try {
    const state = await new VBoxManageDriver(new LocalRunner()).state(vm);
    return check(
      'vm-running',
      title,
      state.kind === 'running' ? 'pass' : 'fail',
      `VirtualBox reports ${state.raw}`,
      `Start it: VBoxManage startvm ${vm} --type headless`,
    );
  } catch (error) {
    // No VirtualBox here (the VM runs on another host, or in the lab): SSH is the evidence.
    return check(
      'vm-running',
      title,
      answers ? 'pass' : 'skip',
      `${answers ? 'answers over SSH' : 'cannot tell'}; VirtualBox not queried: ` +
        `${(error as Error).message.split('\n')[0]}`,
    );
  }
}

async function sshWithConfig(config: string, vm: string, command: string[]) {
  return new LocalRunner().run(
    'ssh',
    ['-F', config, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', vm, shellCommand(command)],
    { timeoutMs: 20_000 },
  );
}
