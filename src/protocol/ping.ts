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
});

/** Is the server up? Works without credentials; wrong credentials are refused. */
export const anonymous = call('ping/', anything, answer);
/** Are these credentials valid? */
export const logged = call('ping/logged', anything, answer);
/** Are these administrator credentials? */
export const admin = call('ping/admin', anything, answer);
