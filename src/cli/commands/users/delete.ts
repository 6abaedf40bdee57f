import { Args } from '@oclif/core';
import * as users from '../../../protocol/users';
import { ApiError } from '../../../protocol/client';
import { ClientCommand, connectionFlag } from '../../base';

export default class UsersDelete extends ClientCommand {
  static override summary = 'Delete a user (admin). The last ADMIN cannot be deleted.';
  static override args = { username: Args.string({ required: true }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(UsersDelete);
    const { client } = this.connect(flags.connection);
    try {
      await client.call(users.remove, { username: args.username });
    } catch (e) {
      // A v2 server answers an unknown user with 400 {success: false, username}: no reason, no detail.
      if (e instanceof ApiError && e.status === 400 && (e.body as { success?: unknown } | null)?.success === false && (e.body as { reason?: unknown }).reason === undefined) {
        this.error(`${client.url} did not delete "${args.username}" and gave no reason (400, success: false); a Librarian v2 server answers so when no user has that name.`, { exit: 1 });
      }
      throw e;
    }
    this.log(`Deleted user "${args.username}".`);
    return { username: args.username, deleted: true };
  }
}
