import ms from 'ms';
import { z } from 'zod';

/** A duration given as seconds (number) or as text such as "90s", "10m", "7d". */
export const durationSchema = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v * 1000;
  let parsed: number | undefined;
  try {
    parsed = ms(v as ms.StringValue);
  } catch {
    // ms throws on an empty string.
    parsed = undefined;
  }
  if (typeof parsed !== 'number' || Number.isNaN(parsed) || parsed < 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration; use seconds or text like "90s", "10m", "7d"` });
    return z.NEVER;
  }
  return parsed;
});

/** A duration for people: "2 days", "7 days", "1 hour". */
export function formatDuration(milliseconds: number): string {
  return ms(milliseconds, { long: true });
}
