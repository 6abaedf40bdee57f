import { AUTH_LEVELS, type AuthLevelName } from '../../shared/authLevels';
import { conflict, forbidden, notFound } from '../../shared/errors';
import type { Db } from '../catalog/db';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { generatePassword } from '../../shared/passwords';
import { dummyHash, hashPassword, VerificationCache, verifyPassword } from './passwords';
import { addressKey, LoginThrottle, type LoginStats } from './throttle';

export interface UserView {
  username: string;
  level: AuthLevelName;
  createdTime: Date;
}

export interface Principal {
  username: string;
  level: AuthLevelName;
}

const view = (u: { username: string; authLevel: AuthLevelName; createdTime: Date }): UserView => ({
  username: u.username,
  level: u.authLevel,
  createdTime: u.createdTime,
});

export class UserService {
  private readonly throttle: LoginThrottle;
  private readonly dummy: Promise<string>;
  private passwordChecks = 0;

  constructor(
    private readonly db: Db,
    logins: Config['logins'],
    log: Logger,
    private readonly cache = new VerificationCache(),
  ) {
    this.throttle = new LoginThrottle(logins, log);
    this.dummy = dummyHash();
    this.dummy.catch(() => undefined);
  }

  /** What login throttling has done in this process (for metrics). */
  get loginStats(): LoginStats & { passwordChecks: number } {
    return { ...this.throttle.stats, passwordChecks: this.passwordChecks };
  }

  /**
   * The principal for these credentials, or null when the user is unknown or the password wrong
   * (both take one argon2 verification, so timing does not tell them apart). `from` is the
   * client's address: a login in backoff is refused with 429 before anything is hashed (see
   * throttle.ts); credentials verified a moment ago are answered from the cache.
   */
  async authenticate(username: string, password: string, from?: string): Promise<Principal | null> {
    const address = addressKey(from);
    this.throttle.assertAllowed(username, address);
    const user = await this.db.user.findUnique({ where: { username } });
    const known = () => {
      this.throttle.succeeded(username, address);
      return { username: user!.username, level: user!.authLevel };
    };
    if (user && this.cache.has(username, password, user.authToken)) return known();
    return this.throttle.checking(address, async () => {
      // Those ahead in line may have put this login in backoff, or verified these credentials.
      this.throttle.assertAllowed(username, address);
      if (user && this.cache.has(username, password, user.authToken)) return known();
      this.passwordChecks++;
      const ok = await verifyPassword(user?.authToken ?? (await this.dummy), password);
      if (user && ok) {
        this.cache.remember(username, password, user.authToken);
        return known();
      }
      this.throttle.failed(username, address, user !== null);
      return null;
    });
  }

  async create(username: string, password: string, level: AuthLevelName): Promise<UserView> {
    const existing = await this.db.user.findUnique({ where: { username } });
    if (existing) {
      throw conflict(`User already exists: "${username}".`, 'Choose another username, or change this user with users/update.');
    }
    const user = await this.db.user.create({ data: { username, authToken: await hashPassword(password), authLevel: level } });
    return view(user);
  }

  async get(username: string): Promise<UserView> {
    const user = await this.db.user.findUnique({ where: { username } });
    if (!user) throw this.missing(username);
    return view(user);
  }

  async list(): Promise<UserView[]> {
    return (await this.db.user.findMany({ orderBy: { username: 'asc' } })).map(view);
  }

  async update(username: string, changes: { password?: string; level?: AuthLevelName }): Promise<UserView> {
    const user = await this.db.user.findUnique({ where: { username } });
    if (!user) throw this.missing(username);
    if (changes.level && changes.level !== 'ADMIN' && user.authLevel === 'ADMIN') await this.keepOneAdmin(username);
    const updated = await this.db.user.update({
      where: { username },
      data: {
        ...(changes.password !== undefined ? { authToken: await hashPassword(changes.password) } : {}),
        ...(changes.level !== undefined ? { authLevel: changes.level } : {}),
      },
    });
    return view(updated);
  }

  async delete(username: string): Promise<void> {
    const user = await this.db.user.findUnique({ where: { username } });
    if (!user) throw this.missing(username);
    if (user.authLevel === 'ADMIN') await this.keepOneAdmin(username);
    await this.db.user.delete({ where: { username } });
  }

  /** Changes a user's own password after checking the current one on the server. */
  async changePassword(username: string, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.db.user.findUnique({ where: { username } });
    if (!user) throw this.missing(username);
    if (!(await this.cache.verify(username, currentPassword, user.authToken))) {
      throw forbidden('The current password given does not match.', 'Send your current password in "password" and the new one in "new_password".');
    }
    await this.db.user.update({ where: { username }, data: { authToken: await hashPassword(newPassword) } });
  }

  /**
   * Creates the first administrator if there is no ADMIN user yet. Returns the password only
   * when it was generated here, so the caller can show it once.
   */
  async ensureAdmin(username: string, password?: string): Promise<{ created: boolean; generatedPassword?: string }> {
    const admins = await this.db.user.count({ where: { authLevel: 'ADMIN' } });
    if (admins > 0) return { created: false };
    const pw = password ?? generatePassword();
    await this.create(username, pw, 'ADMIN');
    return { created: true, generatedPassword: password ? undefined : pw };
  }

  private async keepOneAdmin(username: string): Promise<void> {
    const others = await this.db.user.count({ where: { authLevel: 'ADMIN', NOT: { username } } });
    if (others === 0) {
      throw conflict(`"${username}" is the last ADMIN user.`, 'Create or promote another ADMIN user first, so the Librarian stays manageable.');
    }
  }

  private missing(username: string) {
    return notFound(`User not found: no user is named "${username}".`, 'Check the spelling; admins can list users with users/list (librarian users list).');
  }
}

export { AUTH_LEVELS };
