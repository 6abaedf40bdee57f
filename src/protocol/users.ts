import { z } from 'zod';
import { AUTH_LEVEL_NAMES, AUTH_LEVELS, authLevelSchema } from '../shared/authLevels';
import { call } from './call';

/** No ":" (it would split Basic credentials) and no spaces. */
export const usernameSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'use letters, digits, ".", "_", "@" and "-" only (no ":" or spaces), starting with a letter or digit');
export const passwordSchema = z.string().min(8, 'passwords need at least 8 characters').max(1024);

/** What a change of a user answers (v2 servers answer their 4xx failures in this shape too, with success false). */
const changed = z.object({ success: z.literal(true), username: z.string() });

/** `permission` is the level's wire number (v2's AuthLevel), `permission_name` its name. */
const user = z.object({ username: z.string(), permission: z.literal(Object.values(AUTH_LEVELS)), permission_name: z.enum(AUTH_LEVEL_NAMES) });

/** `permission` is the level's number (what v2 servers accept) or its name, in any case. */
export const create = call('users/create', z.object({ username: usernameSchema, password: passwordSchema, permission: authLevelSchema }), changed);

export const update = call(
  'users/update',
  z.object({ username: z.string(), password: passwordSchema.optional(), permission: authLevelSchema.optional() }),
  // v2 servers answer 200 with success false for an unknown user (wire-v2.md §2.6 #18).
  changed.extend({ success: z.boolean() }),
);

export const remove = call('users/delete', z.object({ username: z.string() }), changed);

/** v2 servers send no permission_name. */
export const get = call('users/get', z.object({ username: z.string() }), user.extend({ permission_name: z.enum(AUTH_LEVEL_NAMES).optional() }));

/** Not on v2 servers. */
export const list = call('users/list', z.object({}).passthrough(), z.object({ users: z.array(user) }));

/** Changes the caller's own password; `password` is the current one, checked on the server (v2 servers do not check it). */
export const passwordUpdate = call('users/password_update', z.object({ password: z.string(), new_password: passwordSchema }), changed);
