import { setTimeout as delay } from 'node:timers/promises';
import { Flags } from '@oclif/core';
import * as audit from '../../../protocol/audit';
import type { ResponseOf } from '../../../protocol/call';
import { ClientCommand, connectionFlag } from '../../base';
import { formatBytes } from '../../format';
import { phaseBars } from '../../progress';

export default class AuditRun extends ClientCommand {
  static override summary = 'Audit the integrity of a store (or of every store) now, and follow it with a progress bar (admin).';
  static override description =
    'Re-hashes the instances not verified within audit.reverifyAfter (oldest first, at most audit.bytesPerSecond) and looks for dark data; an audit already running is joined. Lost, corrupt and dark data are recorded (librarian audit report) and alerted. --no-follow returns once the audits are started.';
  static override flags = {
    ...connectionFlag,
    store: Flags.string({ description: 'Only this store.' }),
    'no-follow': Flags.boolean({ description: 'Start the audits and return.' }),
    'no-progress': Flags.boolean({ description: 'Do not draw progress bars.' }),
  };

  async run() {
    const { flags } = await this.parse(AuditRun);
    const { client } = this.connect(flags.connection);
    const started = await client.call(audit.run, flags.store ? { store_name: flags.store } : {});
    if (flags['no-follow']) {
      for (const a of started.audits) this.log(`Audit of store "${a.store_name}" running: workflow ${a.workflow_id}.`);
      return started;
    }
    const stores = new Set(started.audits.map((a) => a.store_name));
    const bars = phaseBars(!flags['no-progress'] && !this.jsonEnabled());
    let rows: ResponseOf<typeof audit.status>['audits'] = [];
    try {
      for (;;) {
        rows = (await client.call(audit.status, flags.store ? { store_name: flags.store } : {})).audits.filter((r) => stores.has(r.store_name));
        for (const r of rows) bars.update(r.store_name, r.bytes, r.total_bytes);
        if (rows.length === stores.size && rows.every((r) => r.finished)) break;
        await delay(1000);
      }
    } finally {
      bars.stop();
    }
    this.table(
      ['STORE', 'CHECKED', 'BYTES', 'GOOD', 'LOST', 'CORRUPT', 'DARK', 'NOTE'],
      rows.map((r) => [r.store_name, `${r.checked}/${r.total}`, formatBytes(r.bytes), r.good, r.lost, r.corrupt, r.dark ?? '', r.skipped ?? '']),
    );
    if (rows.some((r) => r.lost + r.corrupt + (r.dark ?? 0) > 0)) this.log('Findings: librarian audit report');
    return rows;
  }
}
