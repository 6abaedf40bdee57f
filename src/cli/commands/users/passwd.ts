import { Args, Flags } from '@oclif/core';
import * as users from '../../../protocol/users';
import { generatePassword } from '../../../shared/passwords';
import { ClientCommand, connectionFlag } from '../../base';
import { loadConnections, saveConnections } from '../../connections';
import { readStdin } from '../../signals';

export default class UsersPasswd extends ClientCommand {
  static override summary = 'Change a password.';
  static override description = "Without USERNAME, changes your own password (the server checks your current one) and updates the connection file. With USERNAME, an admin sets that user's password. Without --password-stdin a new password is generated and printed once.";
  // oclif reads a missing argument from piped standard input: here that is the password.
  static override args = { username: Args.string({ required: false, ignoreStdin: true }) };
  static override flags = { ...connectionFlag, 'password-stdin': Flags.boolean({ description: 'Read the new password from standard input.' }) };

  async run() {
    const { args, flags } = await this.parse(UsersPasswd);
    const { name, connection, client } = this.connect(flags.connection);
    const password = flags['password-stdin'] ? await readStdin() : generatePassword();
    const own = !args.username || args.username === connection.user;
    if (own) {
      await client.call(users.passwordUpdate, { password: connection.password, new_password: password });
      const data = loadConnections();
      data.connections[name] = { ...connection, password };
      saveConnections(data);
      this.log(`Changed the password of "${connection.user}" and saved it in connection "${name}".`);
    } else {
      const r = await client.call(users.update, { username: args.username!, password });
      // A v2 server answers an unknown user with success false (and status 200).
      if (!r.success) this.error(`No user is named "${args.username}" on ${client.url}.`, { exit: 1 });
      this.log(`Set a new password for "${args.username}".`);
    }
    if (!flags['password-stdin']) this.log(`New password (shown only now): ${password}`);
    return { username: own ? connection.user : args.username, ...(flags['password-stdin'] ? {} : { password }) };
  }
}
