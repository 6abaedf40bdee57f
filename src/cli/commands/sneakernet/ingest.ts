import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Flags } from '@oclif/core';
import * as sneakernet from '../../../protocol/sneakernet';
import type { ResponseOf } from '../../../protocol/call';
import { ClientCommand, connectionFlag } from '../../base';
import { phaseBars } from '../../progress';

type Status = ResponseOf<typeof sneakernet.ingestStatus>;

export default class SneakernetIngest extends ClientCommand {
  static override summary = 'Ingest a SneakerNet drive at its destination: verify every file against the manifest, commit it, confirm it to the source (admin).';
  static override description = 'The ingest runs as a durable workflow on the server: an unplugged drive or a killed worker only pauses it, and it resumes where it stopped. This command follows it with a progress bar (Ctrl-C stops following, not the ingest; run it again to follow again) and ends with the summary. Exits 1 when files were rejected.';
  static override flags = {
    ...connectionFlag,
    manifest: Flags.string({ required: true, description: 'The manifest shipped with the drive.' }),
    'drive-root': Flags.string({ required: true, description: "Where the drive's store directory is mounted, as the server's worker sees it." }),
    'no-progress': Flags.boolean(),
  };

  async run() {
    const { flags } = await this.parse(SneakernetIngest);
    const { client } = this.connect(flags.connection);
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(flags.manifest, 'utf8'));
    } catch (e) {
      this.error(`Cannot read the manifest ${flags.manifest}: ${(e as Error).message}`, { exit: 1 });
    }
    const started = await client.call(sneakernet.ingest, { manifest, drive_root: path.resolve(flags['drive-root']) });
    this.log(`Ingest ${started.ingest_id} of ${started.files} files started.`);
    const bars = phaseBars(!flags['no-progress'] && !this.jsonEnabled());
    let s: Status;
    try {
      for (;;) {
        s = await client.call(sneakernet.ingestStatus, { ingest_id: started.ingest_id });
        bars.update('ingesting', s.bytes_done, s.bytes_total);
        if (s.finished) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
    } finally {
      bars.stop();
    }
    const rejected = s.rejected.length + s.rejected_not_listed;
    this.log(`Ingested ${s.ingested}, already present ${s.already_present}, rejected ${rejected} of ${s.total}.`);
    for (const r of s.rejected) this.log(`  rejected ${r.name}: ${r.reason}`);
    if (s.rejected_not_listed) this.log(`  ... and ${s.rejected_not_listed} more (see the server's log).`);
    if (rejected) process.exitCode = 1;
    return s;
  }
}
