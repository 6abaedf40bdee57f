import { numberOrName } from './patterns';

/** Permission levels, ordered; the numbers are the wire values of the SO Librarian. */
export const AUTH_LEVELS = { NONE: 0, READONLY: 1, CALLBACK: 2, READAPPEND: 3, READWRITE: 4, ADMIN: 100 } as const;
export type AuthLevelName = keyof typeof AUTH_LEVELS;
export const AUTH_LEVEL_NAMES = Object.keys(AUTH_LEVELS) as AuthLevelName[];

export function isAuthLevelName(s: string): s is AuthLevelName {
  return Object.hasOwn(AUTH_LEVELS, s);
}

export function levelValue(name: AuthLevelName): (typeof AUTH_LEVELS)[AuthLevelName] {
  return AUTH_LEVELS[name];
}

export function levelName(value: number): AuthLevelName | undefined {
  return AUTH_LEVEL_NAMES.find((n) => AUTH_LEVELS[n] === value);
}

export function atLeast(have: AuthLevelName, need: AuthLevelName): boolean {
  return AUTH_LEVELS[have] >= AUTH_LEVELS[need];
}

/** Accepts the wire integer (3) or the name ("READAPPEND", any case); the OpenAPI document lists both. */
export const authLevelSchema = numberOrName(
  [0, 1, 2, 3, 4, 100] as const satisfies (typeof AUTH_LEVELS)[AuthLevelName][],
  AUTH_LEVEL_NAMES,
  (v) => `unknown permission ${JSON.stringify(v)}; use one of ${AUTH_LEVEL_NAMES.map((n) => `${n} (${AUTH_LEVELS[n]})`).join(', ')}`,
).transform((v): AuthLevelName => (typeof v === 'number' ? levelName(v)! : AUTH_LEVEL_NAMES.find((n) => n === v.toUpperCase())!));
