import { Args, Flags } from '@oclif/core';
import * as users from '../../../protocol/users';
import { AUTH_LEVEL_NAMES, levelValue, type AuthLevelName } from '../../../shared/authLevels';
import { ClientCommand, connectionFlag } from '../../base';

export default class UsersUpdate extends ClientCommand {
  static override summary = "Change a user's permission level (admin).";
  static override args = { username: Args.string({ required: true }) };
  static override flags = { ...connectionFlag, level: Flags.string({ required: true, options: AUTH_LEVEL_NAMES }) };

  async run() {
    const { args, flags } = await this.parse(UsersUpdate);
    const { client } = this.connect(flags.connection);
    const r = await client.call(users.update, { username: args.username, permission: levelValue(flags.level as AuthLevelName) });
    // A v2 server answers an unknown user with success false (and status 200).
    if (!r.success) this.error(`No user is named "${args.username}" on ${client.url}.`, { exit: 1 });
    this.log(`User "${args.username}" is now ${flags.level}.`);
    return { username: args.username, level: flags.level };
  }
}
