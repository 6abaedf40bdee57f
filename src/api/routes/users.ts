import { z } from 'zod';
import { passwordSchema, usernameSchema, type UserView } from '../../domain/users/users';
import { authLevelSchema, levelValue } from '../../shared/authLevels';
import { endpoint } from '../endpoint';

const userOut = (u: UserView) => ({ username: u.username, permission: levelValue(u.level), permission_name: u.level });
const userResponse = z.object({ username: z.string(), permission: z.number(), permission_name: z.string() });
const success = z.object({ success: z.literal(true), username: z.string() });

export const userEndpoints = [
  endpoint({
    path: '/users/create',
    level: 'ADMIN',
    summary: 'Create a user with a permission level (0 NONE, 1 READONLY, 2 CALLBACK, 3 READAPPEND, 4 READWRITE, 100 ADMIN).',
    body: z.object({ username: usernameSchema, password: passwordSchema, permission: authLevelSchema }),
    response: success,
    status: 201,
    errors: [400],
    statusAs: { 409: 400 },
    handler: async ({ body, domain }) => {
      const u = await domain.users.create(body.username, body.password, body.permission);
      return { success: true, username: u.username };
    },
  }),
  endpoint({
    path: '/users/update',
    level: 'ADMIN',
    summary: "Change a user's password and/or permission level.",
    body: z.object({ username: z.string(), password: passwordSchema.optional(), permission: authLevelSchema.optional() }),
    response: success,
    errors: [400, 409],
    statusAs: { 404: 400 },
    handler: async ({ body, domain }) => {
      const u = await domain.users.update(body.username, { password: body.password, level: body.permission });
      return { success: true, username: u.username };
    },
  }),
  endpoint({
    path: '/users/delete',
    level: 'ADMIN',
    summary: 'Delete a user (never the last ADMIN).',
    body: z.object({ username: z.string() }),
    response: success,
    errors: [400, 409],
    statusAs: { 404: 400 },
    handler: async ({ body, domain }) => {
      await domain.users.delete(body.username);
      return { success: true, username: body.username };
    },
  }),
  endpoint({
    path: '/users/get',
    level: 'ADMIN',
    summary: "A user's permission level.",
    body: z.object({ username: z.string() }),
    response: userResponse,
    errors: [400],
    statusAs: { 404: 400 },
    handler: async ({ body, domain }) => userOut(await domain.users.get(body.username)),
  }),
  endpoint({
    path: '/users/list',
    level: 'ADMIN',
    summary: 'All users and their permission levels.',
    body: z.object({}).passthrough(),
    response: z.object({ users: z.array(userResponse) }),
    handler: async ({ domain }) => ({ users: (await domain.users.list()).map(userOut) }),
  }),
  endpoint({
    path: '/users/password_update',
    level: 'READONLY',
    summary: 'Change your own password; the current one is checked on the server.',
    body: z.object({ password: z.string(), new_password: passwordSchema }),
    response: success,
    errors: [403],
    handler: async ({ body, domain, principal }) => {
      await domain.users.changePassword(principal!.username, body.password, body.new_password);
      return { success: true, username: principal!.username };
    },
  }),
];
