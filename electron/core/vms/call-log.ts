import type { VBoxCall } from '../api/contract-vms.ts';
import type { VBoxCallRecord } from '../vbox/vbox-driver.ts';

const KEEP = 500;

/** The last VBoxManage calls of every host, for the panel's call log (newest last). */
export class CallLog {
  private readonly calls: VBoxCall[] = [];
  private seq = 0;

  constructor(private readonly onAdd: (call: VBoxCall) => void) {}

  add(record: VBoxCallRecord): void {
    const call: VBoxCall = {
      seq: ++this.seq,
      host: record.host,
      argv: record.argv,
      exitCode: record.exitCode,
      startedAt: new Date(record.startedAt).toISOString(),
      ms: record.ms,
      stderr: record.stderr,
    };
    this.calls.push(call);
    if (this.calls.length > KEEP) this.calls.splice(0, this.calls.length - KEEP);
    this.onAdd(call);
  }

  list(host?: string, limit = 100): VBoxCall[] {
    const chosen = host ? this.calls.filter((call) => call.host === host) : this.calls;
    return chosen.slice(-limit);
  }
}
