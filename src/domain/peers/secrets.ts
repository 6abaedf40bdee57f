/**
 * Encryption at rest of our credentials on peers: AES-256-GCM under a key derived (scrypt) from
 * the configured encryptionKey, so the catalog alone does not reveal them.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { LibrarianError } from '../../shared/errors';

const PREFIX = 'v1';
// scrypt is deliberately slow (~30 ms) and every call to a peer decrypts; derive each key once.
const keys = new Map<string, Buffer>();

function keyFrom(secret: string | undefined): Buffer {
  if (!secret) {
    throw new LibrarianError(
      503,
      'This Librarian has no encryption key, so it cannot store or use credentials for peers.',
      'Set encryptionKeyFile (or LIBRARIAN_ENCRYPTION_KEY) in the configuration to a long random secret, and restart.',
    );
  }
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = scryptSync(secret, 'librarian-peer-credentials', 32)));
  return key;
}

export function encrypt(plain: string, secret: string | undefined): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [PREFIX, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
}

export function decrypt(sealed: string, secret: string | undefined): string {
  const [prefix, iv, tag, body] = sealed.split(':');
  if (prefix !== PREFIX || !iv || !tag || body === undefined) throw new LibrarianError(500, 'A stored peer credential is not in a known format.', 'Remove the peer and add it again.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret), Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  } catch (e) {
    if (e instanceof LibrarianError) throw e;
    throw new LibrarianError(500, 'A stored peer credential cannot be decrypted with the configured encryption key.', 'Restore the encryption key the peer was added with, or remove the peer and add it again.');
  }
}

/** "user:password" → parts; the password is everything after the first colon. */
export function splitAuthenticator(authenticator: string): { username: string; password: string } {
  const i = authenticator.indexOf(':');
  if (i <= 0) throw new LibrarianError(400, 'The authenticator must be "username:password".', 'Give our account on the peer as username:password (the password may contain ":").');
  return { username: authenticator.slice(0, i), password: authenticator.slice(i + 1) };
}
