/**
 * The VM lifecycle's state in the window: VirtualBox hosts, each VM's VirtualBox view and boot,
 * import tasks and the VBoxManage call log. It lives outside components, so an import's progress
 * bar survives switching tabs; tasks are fetched again on connect, so it survives a reload too.
 */
import { create } from 'zustand';

import type {
  Boot,
  VBoxCall,
  VboxHost,
  VmDetails,
  VmSummary,
  VmTask,
} from '../../../../electron/core/api/contract-vms.ts';
import { ApiCallError } from '../../api/api-client.ts';
import { usePanel, type ShownError } from '../../state/store.ts';

interface VmsState {
  started: boolean;
  hosts: VboxHost[];
  hostId: string;
  /** By VM name: what VirtualBox said last (from a poll or an info call). */
  vms: Record<string, VmSummary & { ip?: string; uptimeSec?: number }>;
  boots: Record<string, Boot>;
  tasks: Record<string, VmTask>;
  calls: VBoxCall[];
  busy: Record<string, string | undefined>;
  /** Registry machines no VirtualBox host knows (a VM elsewhere): not an error, just unmanaged. */
  unmanaged: Record<string, boolean>;
  errors: Record<string, ShownError | undefined>;

  start(): Promise<void>;
  setHost(hostId: string): void;
  refreshVm(vm: string): Promise<void>;
  act(vm: string, label: string, action: () => Promise<unknown>): Promise<void>;
  importOva(ova: string, name: string): Promise<void>;
  cancelTask(taskId: string): Promise<void>;
  pickOva(): Promise<string | null>;
}

function shown(error: unknown): ShownError {
  if (error instanceof ApiCallError) return { message: error.message, fix: error.fix };
  return { message: error instanceof Error ? error.message : String(error) };
}

const api = () => {
  const client = usePanel.getState().api;
  if (!client) throw new Error('the panel is not connected to its core yet');
  return client;
};

export const useVms = create<VmsState>((set, get) => {
  const remember = (vm: VmDetails) => {
    set({ vms: { ...get().vms, [vm.name]: vm } });
    if (vm.boot) set({ boots: { ...get().boots, [vm.name]: vm.boot } });
  };

  return {
    started: false,
    hosts: [],
    hostId: 'local',
    vms: {},
    boots: {},
    tasks: {},
    calls: [],
    busy: {},
    unmanaged: {},
    errors: {},

    async start() {
      if (get().started) return;
      set({ started: true });
      const client = api();
      client.on('vms.changed', ({ vms }) => {
        const next = { ...get().vms };
        const unmanaged = { ...get().unmanaged };
        for (const vm of vms) {
          next[vm.name] = { ...next[vm.name], ...vm };
          unmanaged[vm.name] = false;
        }
        set({ vms: next, unmanaged });
      });
      client.on('vms.boot', (boot) => set({ boots: { ...get().boots, [boot.vm]: boot } }));
      client.on('vms.task', (task) => {
        set({ tasks: { ...get().tasks, [task.id]: task } });
        // A finished import adds a registry entry, and with it a card.
        if (task.status === 'succeeded') void usePanel.getState().refreshMachines();
      });
      client.on('vms.call', (call) => set({ calls: [...get().calls.slice(-199), call] }));
      try {
        const [hosts, tasks, calls] = await Promise.all([
          client.call('vms.hosts', {}),
          client.call('vms.tasks', {}),
          client.call('vms.calls', { limit: 200 }),
        ]);
        set({ hosts, tasks: Object.fromEntries(tasks.map((task) => [task.id, task])), calls });
        const listed = await client.call('vms.list', {});
        const vms: VmsState['vms'] = {};
        for (const host of listed) for (const vm of host.vms) vms[vm.name] = vm;
        set({ vms: { ...vms, ...get().vms } });
      } catch (error) {
        set({ errors: { ...get().errors, aside: shown(error) } });
      }
    },

    setHost(hostId) {
      set({ hostId });
    },

    async refreshVm(vm) {
      try {
        remember(await api().call('vms.info', { vm }));
        set({
          errors: { ...get().errors, [vm]: undefined },
          unmanaged: { ...get().unmanaged, [vm]: false },
        });
      } catch (error) {
        if (error instanceof ApiCallError && error.code === 'vm-not-found') {
          set({ unmanaged: { ...get().unmanaged, [vm]: true } });
          return;
        }
        set({ errors: { ...get().errors, [vm]: shown(error) } });
      }
    },

    async act(vm, label, action) {
      set({ busy: { ...get().busy, [vm]: label }, errors: { ...get().errors, [vm]: undefined } });
      try {
        const result = (await action()) as Partial<VmDetails> & { vm?: VmDetails };
        const details = result.vm ?? (result.uuid ? (result as VmDetails) : undefined);
        if (details) remember(details);
      } catch (error) {
        set({ errors: { ...get().errors, [vm]: shown(error) } });
      } finally {
        set({ busy: { ...get().busy, [vm]: undefined } });
      }
    },

    async importOva(ova, name) {
      set({ errors: { ...get().errors, import: undefined } });
      try {
        const task = await api().call('vms.import', { hostId: get().hostId, ova, name });
        set({ tasks: { ...get().tasks, [task.id]: { ...task, ...get().tasks[task.id] } } });
      } catch (error) {
        set({ errors: { ...get().errors, import: shown(error) } });
      }
    },

    async cancelTask(taskId) {
      try {
        await api().call('vms.cancelTask', { taskId });
      } catch (error) {
        set({ errors: { ...get().errors, import: shown(error) } });
      }
    },

    async pickOva() {
      try {
        return await api().call('vms.pickOva', {});
      } catch (error) {
        set({ errors: { ...get().errors, import: shown(error) } });
        return null;
      }
    },
  };
});
