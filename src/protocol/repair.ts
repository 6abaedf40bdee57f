import { z } from 'zod';
import { call, time } from './call';

/** librarian_name: the caller's own name, which must be its account here. */
const corruptRequest = z.object({ file_name: z.string().min(1), librarian_name: z.string().min(1) });

export const corruptPrepare = call('corrupt/prepare', corruptRequest, z.object({ ready: z.boolean() }));

export const corruptResend = call(
  'corrupt/resend',
  corruptRequest,
  z.object({
    success: z.boolean(),
    /** The caller's incoming transfer that brings the new copy. */
    destination_transfer_id: z.number().int(),
  }),
);

export const run = call(
  'admin/repair/run',
  z.object({ file_name: z.string().min(1) }),
  z.object({ repairs: z.array(z.object({ instance_id: z.number().int(), outcome: z.string(), detail: z.string().nullable() })) }),
);

export const status = call(
  'admin/repair/status',
  z.object({}).passthrough(),
  z.object({
    repairs: z.array(
      z.object({
        /** Null when the copy's instance row is gone (its finding remains). */
        instance_id: z.number().int().nullable(),
        file_name: z.string().nullable(),
        store_name: z.string(),
        path: z.string(),
        kind: z.string(),
        detail: z.string(),
        first_seen: time,
        repair: z.string().nullable(),
        running: z.boolean(),
        phase: z.string().nullable(),
        workflow_id: z.string().nullable(),
      }),
    ),
  }),
);
