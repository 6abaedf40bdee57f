import { Args, Flags } from '@oclif/core';
import * as users from '../../../protocol/users';
import { AUTH_LEVEL_NAMES, levelValue, type AuthLevelName } from '../../../shared/authLevels';
import { generatePassword } from '../../../shared/passwords';
import { ClientCommand, connectionFlag } from '../../base';
import { readStdin } from '../../signals';

export default class UsersCreate extends ClientCommand {
  static override summary = 'Create a user (admin).';
  static override description = 'Levels: NONE < READONLY (search, validate) < CALLBACK (peer callbacks) < READAPPEND (upload; peers that send to us) < READWRITE < ADMIN. Without --password-stdin a password is generated and printed once.';
  static override args = { username: Args.string({ required: true, ignoreStdin: true }) };
  static override flags = {
    ...connectionFlag,
    level: Flags.string({ required: true, options: AUTH_LEVEL_NAMES, description: 'Permission level.' }),
    'password-stdin': Flags.boolean({ description: 'Read the password from standard input.' }),
  };

  async run() {
    const { args, flags } = await this.parse(UsersCreate);
    const { client } = this.connect(flags.connection);
    const password = flags['password-stdin'] ? await readStdin() : generatePassword();
    // The level's number: what v2 servers accept (names too, here).
    await client.call(users.create, { username: args.username, password, permission: levelValue(flags.level as AuthLevelName) });
    this.log(`Created ${flags.level} user "${args.username}".`);
    if (!flags['password-stdin']) this.log(`Password (shown only now): ${password}`);
    return { username: args.username, level: flags.level, ...(flags['password-stdin'] ? {} : { password }) };
  }
}
