import { Args, Flags } from '@oclif/core';
import { AUTH_LEVEL_NAMES, levelValue, type AuthLevelName } from '../../../shared/authLevels';
import { ClientCommand, connectionFlag } from '../../base';

export default class UsersUpdate extends ClientCommand {
  static override summary = "Change a user's permission level (admin).";
  static override args = { username: Args.string({ required: true }) };
  static override flags = { ...connectionFlag, level: Flags.string({ required: true, options: AUTH_LEVEL_NAMES }) };

  async run() {
    const { args, flags } = await this.parse(UsersUpdate);
    const { client } = this.connect(flags.connection);
    await client.post('users/update', { username: args.username, permission: levelValue(flags.level as AuthLevelName) });
    this.log(`User "${args.username}" is now ${flags.level}.`);
    return { username: args.username, level: flags.level };
  }
}
