import { randomBytes } from 'node:crypto';

/** A random password for a new account (shown once, to be stored by its user). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
