import { ApiError, ConnectionError, LibrarianClient } from '../client/librarianClient';
import type { Config } from '../config';
import { conflict, LibrarianError, notFound } from '../errors';
import type { Logger } from '../logger';
import type { Db } from './db';
import { decrypt, encrypt, splitAuthenticator } from './secrets';
import { ACTIVE_STATUSES } from './transferStatus';

export interface PeerView {
  id: number;
  name: string;
  url: string;
  port: number;
  transfersEnabled: boolean;
  lastSeen: Date | null;
  lastHeard: Date | null;
}

export interface PingResult {
  ok: boolean;
  librarianName?: string;
  error?: string;
}

/** Other Librarians: their address and our (encrypted) credentials on them. */
export class PeerService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  static baseUrl(url: string, port: number): string {
    const u = /^https?:\/\//.test(url) ? url : `http://${url}`;
    const parsed = new URL(u);
    if (!parsed.port) parsed.port = String(port);
    return parsed.origin + parsed.pathname.replace(/\/+$/, '');
  }

  async row(name: string) {
    const p = await this.db.librarian.findUnique({ where: { name } });
    if (!p) throw notFound(`No peer Librarian named "${name}".`, 'List peers with admin/librarians/list (librarian peers list), or add it with admin/librarians/add.');
    return p;
  }

  async list(): Promise<PeerView[]> {
    return (await this.db.librarian.findMany({ orderBy: { name: 'asc' } })).map((p) => ({
      id: p.id,
      name: p.name,
      url: p.url,
      port: p.port,
      transfersEnabled: p.transfersEnabled,
      lastSeen: p.lastSeen,
      lastHeard: p.lastHeard,
    }));
  }

  /** A client logged in as our account on the peer. */
  async client(name: string, timeoutMs = 60_000): Promise<LibrarianClient> {
    const p = await this.row(name);
    const { username, password } = splitAuthenticator(decrypt(p.authenticator, this.config.encryptionKey));
    return new LibrarianClient({ url: PeerService.baseUrl(p.url, p.port), username, password, timeoutMs });
  }

  static async ping(client: LibrarianClient): Promise<PingResult> {
    try {
      const r = await client.post<{ librarian_name: string }>('ping/logged', {}, 10_000);
      return { ok: true, librarianName: r.librarian_name };
    } catch (e) {
      if (e instanceof ApiError || e instanceof ConnectionError) return { ok: false, error: e.message };
      throw e;
    }
  }

  async pingPeer(name: string): Promise<PingResult> {
    const r = await PeerService.ping(await this.client(name, 10_000));
    if (r.ok) await this.db.librarian.update({ where: { name }, data: { lastSeen: new Date() } });
    return r;
  }

  async add(req: { name: string; url: string; port: number; authenticator: string; checkConnection: boolean }): Promise<{ alreadyExists: boolean; ping?: PingResult }> {
    if (await this.db.librarian.findUnique({ where: { name: req.name } })) return { alreadyExists: true };
    const { username, password } = splitAuthenticator(req.authenticator);
    const sealed = encrypt(req.authenticator, this.config.encryptionKey);
    let ping: PingResult | undefined;
    if (req.checkConnection) {
      ping = await PeerService.ping(new LibrarianClient({ url: PeerService.baseUrl(req.url, req.port), username, password }));
      if (!ping.ok) {
        throw new LibrarianError(400, `Cannot log in to "${req.name}" at ${PeerService.baseUrl(req.url, req.port)}: ${ping.error}`, 'Check the URL, port and credentials, or add it with check_connection false.', { ping_success: false });
      }
      if (ping.librarianName !== req.name) {
        throw new LibrarianError(400, `The Librarian at that address calls itself "${ping.librarianName}", not "${req.name}".`, 'Use the name the peer has in its configuration: callbacks are matched by it.', { ping_success: true });
      }
    }
    await this.db.librarian.create({ data: { name: req.name, url: req.url, port: req.port, authenticator: sealed, lastSeen: ping?.ok ? new Date() : null } });
    this.log.info({ peer: req.name }, 'peer added');
    return { alreadyExists: false, ping };
  }

  async setTransfersEnabled(name: string, enabled: boolean): Promise<void> {
    await this.row(name);
    await this.db.librarian.update({ where: { name }, data: { transfersEnabled: enabled } });
    this.log.info({ peer: name, enabled }, enabled ? 'transfers to peer resumed' : 'transfers to peer paused');
  }

  /** Removes a peer. Its in-flight outgoing transfers are failed when asked; completed ones are left alone. */
  async remove(name: string, opts: { removeOutgoingTransfers: boolean; removeRemoteInstances: boolean }): Promise<{ transfersFailed: number }> {
    const p = await this.row(name);
    const copies = await this.db.remoteInstance.count({ where: { librarianId: p.id } });
    if (copies > 0 && !opts.removeRemoteInstances) {
      throw conflict(`${copies} files are recorded as copied to "${name}"; removing the peer would forget those copies.`, 'To remove the peer and those records, pass remove_remote_instances: true (librarian peers remove --forget-copies).');
    }
    let transfersFailed = 0;
    if (opts.removeOutgoingTransfers) {
      const r = await this.db.outgoingTransfer.updateMany({
        where: { destination: name, status: { in: ACTIVE_STATUSES } },
        data: { status: 'FAILED', endTime: new Date(), failureReason: 'peer removed' },
      });
      transfersFailed = r.count;
    }
    await this.db.librarian.delete({ where: { id: p.id } });
    this.log.info({ peer: name, transfersFailed }, 'peer removed');
    return { transfersFailed };
  }

  async heard(name: string): Promise<void> {
    await this.db.librarian.updateMany({ where: { name }, data: { lastHeard: new Date() } });
  }
}
