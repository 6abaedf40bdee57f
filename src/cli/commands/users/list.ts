import * as users from '../../../protocol/users';
import { ClientCommand, connectionFlag } from '../../base';

export default class UsersList extends ClientCommand {
  static override summary = 'List users and their permission levels (admin).';
  static override flags = { ...connectionFlag };

  async run() {
    const { flags } = await this.parse(UsersList);
    const { client } = this.connect(flags.connection);
    const r = await client.call(users.list, {});
    this.table(['USERNAME', 'LEVEL'], r.users.map((u) => [u.username, u.permission_name]));
    return r.users;
  }
}
