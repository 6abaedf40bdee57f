import type { UserView } from '../../domain/users/users';
import { users } from '../../protocol';
import { levelValue } from '../../shared/authLevels';
import { route } from '../endpoint';

const userOut = (u: UserView) => ({ username: u.username, permission: levelValue(u.level), permission_name: u.level });

export const userEndpoints = [
  route(users.create, {
    level: 'ADMIN',
    summary: 'Create a user with a permission level (0 NONE, 1 READONLY, 2 CALLBACK, 3 READAPPEND, 4 READWRITE, 100 ADMIN).',
    status: 201,
    errors: [400],
    statusAs: { 409: 400 },
    handler: async ({ body, domain }) => {
      const u = await domain.users.create(body.username, body.password, body.permission);
      return { success: true as const, username: u.username };
    },
  }),
  route(users.update, {
    level: 'ADMIN',
    summary: "Change a user's password and/or permission level.",
    errors: [400, 409],
    statusAs: { 404: 400 },
    handler: async ({ body, domain }) => {
      const u = await domain.users.update(body.username, { password: body.password, level: body.permission });
      return { success: true as const, username: u.username };
    },
  }),
  route(users.remove, {
    level: 'ADMIN',
    summary: 'Delete a user (never the last ADMIN).',
    errors: [400, 409],
    statusAs: { 404: 400 },
    handler: async ({ body, domain }) => {
      await domain.users.delete(body.username);
      return { success: true as const, username: body.username };
    },
  }),
  route(users.get, {
    level: 'ADMIN',
    summary: "A user's permission level.",
    errors: [400],
    statusAs: { 404: 400 },
    handler: async ({ body, domain }) => userOut(await domain.users.get(body.username)),
  }),
  route(users.list, {
    level: 'ADMIN',
    summary: 'All users and their permission levels.',
    handler: async ({ domain }) => ({ users: (await domain.users.list()).map(userOut) }),
  }),
  route(users.passwordUpdate, {
    level: 'READONLY',
    summary: 'Change your own password; the current one is checked on the server.',
    errors: [403],
    handler: async ({ body, domain, principal }) => {
      await domain.users.changePassword(principal!.username, body.password, body.new_password);
      return { success: true as const, username: principal!.username };
    },
  }),
];
