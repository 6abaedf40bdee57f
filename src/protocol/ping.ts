import { z } from 'zod';
import { call } from './call';

/** Any fields are accepted (v2 clients send an empty object). */
const anything = z.object({}).passthrough();

export const answer = z.object({
  name: z.string(),
  description: z.string(),
  /** Not from v2 servers, which do not say the name their peers know them by. */
  librarian_name: z.string().optional(),
  username: z.string().nullish(),
  /** The caller's permission level (not from v2 servers): a peer learns whether our account there may send it data. */
  auth_level: z.string().nullish(),
  /**
   * Whether the services this server needs answer (not from v2 servers). The reason is given to
   * logged-in callers only; anonymous ones see null.
   */
  catalog: z.object({ ok: z.boolean(), problem: z.string().nullable() }).optional(),
  temporal: z.object({ ok: z.boolean(), problem: z.string().nullable() }).optional(),
});

/** Is the server up? Works without credentials; wrong credentials are refused. */
export const anonymous = call('ping/', anything, answer);
/** Are these credentials valid? */
export const logged = call('ping/logged', anything, answer);
/** Are these administrator credentials? */
export const admin = call('ping/admin', anything, answer);
