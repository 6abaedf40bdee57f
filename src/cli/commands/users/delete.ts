import { Args } from '@oclif/core';
import { users } from '../../../protocol';
import { ClientCommand, connectionFlag } from '../../base';

export default class UsersDelete extends ClientCommand {
  static override summary = 'Delete a user (admin). The last ADMIN cannot be deleted.';
  static override args = { username: Args.string({ required: true }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(UsersDelete);
    const { client } = this.connect(flags.connection);
    await client.call(users.remove, { username: args.username });
    this.log(`Deleted user "${args.username}".`);
    return { username: args.username, deleted: true };
  }
}
