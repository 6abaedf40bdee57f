import { createHmac, randomBytes } from 'node:crypto';
import argon2 from 'argon2';

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/**
 * Remembers successful argon2 verifications for a short while. Basic auth sends the password on
 * every request and argon2 is deliberately slow (tens of ms), which would dominate bulk ingest.
 * The key binds username, password and the stored hash, so a password change or a deleted user
 * never matches a remembered entry. Keys are HMACs under a per-process secret; no password is kept.
 */
export class VerificationCache {
  private readonly secret = randomBytes(32);
  private readonly entries = new Map<string, number>();
  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  private key(username: string, password: string, hash: string): string {
    return createHmac('sha256', this.secret).update(username).update('\0').update(password).update('\0').update(hash).digest('base64');
  }

  async verify(username: string, password: string, hash: string): Promise<boolean> {
    const key = this.key(username, password, hash);
    const until = this.entries.get(key);
    const now = Date.now();
    if (until !== undefined && until > now) return true;
    let ok = false;
    try {
      ok = await argon2.verify(hash, password);
    } catch {
      ok = false;
    }
    if (ok) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, now + this.ttlMs);
    }
    return ok;
  }
}
