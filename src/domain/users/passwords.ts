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

  /** Whether these credentials matched this stored hash a short while ago (no argon2). */
  has(username: string, password: string, hash: string): boolean {
    const until = this.entries.get(this.key(username, password, hash));
    return until !== undefined && until > Date.now();
  }

  remember(username: string, password: string, hash: string): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(this.key(username, password, hash), Date.now() + this.ttlMs);
  }

  async verify(username: string, password: string, hash: string): Promise<boolean> {
    if (this.has(username, password, hash)) return true;
    const ok = await verifyPassword(hash, password);
    if (ok) this.remember(username, password, hash);
    return ok;
  }
}

/** One argon2 verification; a hash argon2 cannot read matches nothing. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/**
 * A hash of a random password, made like every stored one: verifying a login of an unknown
 * name against it takes as long as a wrong password for an account that exists.
 */
export function dummyHash(): Promise<string> {
  return hashPassword(randomBytes(24).toString('base64'));
}
