import { z } from 'zod';

/** One of `words` in any case, as a pattern JSON Schema can carry (it has no flags). Pure. */
export function anyCase(words: readonly string[]): RegExp {
  const letters = (w: string) =>
    [...w].map((c) => (c.toLowerCase() === c.toUpperCase() ? c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : `[${c.toUpperCase()}${c.toLowerCase()}]`)).join('');
  return new RegExp(`^(?:${words.map(letters).join('|')})$`);
}

/**
 * An enumeration as v2 sends it (its number) or by name in any case, exactly: the OpenAPI document
 * lists the numbers and the names' pattern. Anything else is refused with `message(input)`.
 */
export function numberOrName<N extends number>(numbers: readonly [N, ...N[]], names: readonly string[], message: (input: unknown) => string) {
  const error = (iss: { input?: unknown }) => message(iss.input);
  return z.union([z.literal(numbers, { error }), z.string().regex(anyCase(names), { error })], { error });
}
