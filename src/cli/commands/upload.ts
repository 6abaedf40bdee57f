import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { uploadPath } from '../../client/upload';
import { ALGORITHMS, DEFAULT_ALGORITHM, type Algorithm } from '../../shared/checksums';
import { ClientCommand, connectionFlag } from '../base';
import { connectionsPath } from '../connections';
import { formatBytes } from '../format';
import { phaseBars } from '../progress';

export default class Upload extends ClientCommand {
  static override summary = 'Upload a file or a directory (a "book") to DEST, verified end to end.';
  static override description = `Hashes LOCAL, stages the upload, sends the data and commits; the server verifies size and checksum before cataloguing it, and the command waits for that verdict. --via copy writes straight into the server's staging area (needs its filesystem), hashing while it copies and declaring the checksum with the commit (hashing first on servers that want it at stage, such as v2's, and while an interrupted HTTP upload from the last week is noted); --via http streams through the API and resumes after a broken connection, and, when run again after an interruption (Ctrl-C), from what the server holds; auto picks copy when the staging area is reachable from here. Exits non-zero with the server's reason when the upload is refused or fails.`;
  static override args = {
    local: Args.string({ required: true, description: 'Local file or directory.' }),
    dest: Args.string({ required: true, description: 'Destination name (relative path) in the Librarian: at most 512 bytes in UTF-8, each part between "/" at most 255.' }),
  };
  static override flags = {
    ...connectionFlag,
    via: Flags.string({ options: ['auto', 'copy', 'http'], default: 'auto' }),
    uploader: Flags.string({ description: 'Name recorded as the uploader (default: your account; at most 256 characters).' }),
    deletion: Flags.string({ options: ['allowed', 'disallowed'], default: 'disallowed', description: 'Deletion policy of the new instance.' }),
    algorithm: Flags.string({ options: [...ALGORITHMS], default: DEFAULT_ALGORITHM }),
    'no-progress': Flags.boolean({ description: 'Do not draw progress bars.' }),
  };

  async run() {
    const { args, flags } = await this.parse(Upload);
    const { client } = this.connect(flags.connection);
    const bars = phaseBars(!flags['no-progress'] && !this.jsonEnabled());
    try {
      const r = await uploadPath(client, args.local, args.dest, {
        via: flags.via as 'auto' | 'copy' | 'http',
        uploader: flags.uploader,
        deletionPolicy: flags.deletion as 'allowed' | 'disallowed',
        algorithm: flags.algorithm as Algorithm,
        progress: (phase, done, total) => bars.update(phase, done, total),
        resumeFile: path.join(path.dirname(connectionsPath()), 'uploads-in-progress.json'),
      });
      bars.stop();
      this.log(`Uploaded ${args.local} as "${r.file_name}" (${formatBytes(r.size)}, ${r.checksum}) to store ${r.store_name} via ${r.via}${r.resumed_from > 0 ? `, resumed from ${formatBytes(r.resumed_from)} sent by an earlier run` : ''}; transfer ${r.transfer_id}.`);
      return r;
    } finally {
      bars.stop();
    }
  }
}
