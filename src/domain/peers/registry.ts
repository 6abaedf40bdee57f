/** Other Librarians: their address and our (encrypted) credentials on them. */
import { atLeast } from '../../shared/authLevels';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { badRequest, conflict, LibrarianError, notFound } from '../../shared/errors';
import { LibrarianClient } from '../../protocol/client';
import type { Db } from '../catalog/db';
import type { OutgoingTransfers } from '../transfers/outgoing';
import { PeerClient, type PingResult } from './peerClient';
import { decrypt, encrypt, splitAuthenticator } from './secrets';

export interface PeerView {
  id: number;
  name: string;
  url: string;
  port: number;
  transfersEnabled: boolean;
  /** Whether we send clones to it at all (false: we only receive from it). */
  sending: boolean;
  lastSeen: Date | null;
  lastHeard: Date | null;
}

export type { PingResult };

export class PeerRegistry {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly outgoing: OutgoingTransfers,
    private readonly log: Logger,
  ) {}

  static baseUrl(url: string, port: number): string {
    const u = /^https?:\/\//i.test(url) ? url : `http://${url}`;
    const parsed = new URL(u);
    if (!parsed.port) parsed.port = String(port);
    return parsed.origin + parsed.pathname.replace(/\/+$/, '');
  }

  /**
   * A peer's URL as given to peers add: a host name or an http(s) URL. Credentials in it
   * ("user:password@host") would be stored and listed in clear (our account on the peer is the
   * encrypted authenticator), so they are refused, and the reason never repeats the URL.
   */
  static checkUrl(url: string): void {
    // Credentials first, and the URL never quoted: an error must not repeat a password.
    if (PeerRegistry.withoutCredentials(url) !== url) {
      throw badRequest(
        'The peer URL contains credentials ("user:password@"); they would be stored and listed in clear.',
        'Give the URL without them; our account on the peer goes in "authenticator" (librarian peers add --user NAME --password-stdin).',
      );
    }
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
    if (scheme && !/^https?$/i.test(scheme)) throw badRequest(`The peer URL's scheme "${scheme}" is not http or https.`, 'Give the host name, or an http:// or https:// URL.');
    let parsed: URL;
    try {
      parsed = new URL(scheme ? url : `http://${url}`);
    } catch {
      throw badRequest('The peer URL is not a valid host name or URL.', 'Give the host name, or an http:// or https:// URL, and the port separately.');
    }
    if (parsed.username || parsed.password) {
      throw badRequest(
        'The peer URL contains credentials ("user:password@"); they would be stored and listed in clear.',
        'Give the URL without them; our account on the peer goes in "authenticator" (librarian peers add --user NAME --password-stdin).',
      );
    }
  }

  /** What list shows of a URL stored before credentials in it were refused: without them. */
  static withoutCredentials(url: string): string {
    return url.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?)[^/@]*@/i, '$1');
  }

  async row(name: string) {
    const p = await this.db.librarian.findUnique({ where: { name } });
    if (!p) throw notFound(`Librarian "${name}" does not exist.`, 'List peers with admin/librarians/list (librarian peers list), or add it with admin/librarians/add.');
    return p;
  }

  async list(): Promise<PeerView[]> {
    return (await this.db.librarian.findMany({ orderBy: { name: 'asc' } })).map((p) => ({
      id: p.id,
      name: p.name,
      url: PeerRegistry.withoutCredentials(p.url),
      port: p.port,
      transfersEnabled: p.transfersEnabled,
      sending: p.sending,
      lastSeen: p.lastSeen,
      lastHeard: p.lastHeard,
    }));
  }

  /** Every peer, each pinged (when asked) with our credentials on it. */
  async listWithPing(ping: boolean): Promise<(PeerView & { ping: PingResult | null })[]> {
    const peers = await this.list();
    const pings = await Promise.all(peers.map((p) => (ping ? this.pingPeer(p.name).catch((e: Error) => ({ ok: false, error: e.message })) : null)));
    return peers.map((p, i) => ({ ...p, ping: pings[i]! }));
  }

  async transfersEnabled(name: string): Promise<boolean> {
    return (await this.row(name)).transfersEnabled;
  }

  /** A client logged in as our account on the peer. */
  async client(name: string, timeoutMs = 60_000): Promise<PeerClient> {
    const p = await this.row(name);
    const { username, password } = splitAuthenticator(decrypt(p.authenticator, this.config.encryptionKey));
    return new PeerClient(name, new LibrarianClient({ url: PeerRegistry.baseUrl(p.url, p.port), username, password, timeoutMs }));
  }

  async pingPeer(name: string): Promise<PingResult> {
    const r = await (await this.client(name, 10_000)).ping();
    if (r.ok) await this.db.librarian.update({ where: { name }, data: { lastSeen: new Date() } });
    return r;
  }

  async add(req: { name: string; url: string; port: number; authenticator: string; checkConnection: boolean; sending?: boolean }): Promise<{ alreadyExists: boolean; ping?: PingResult; sending?: boolean }> {
    PeerRegistry.checkUrl(req.url);
    if (await this.db.librarian.findUnique({ where: { name: req.name } })) return { alreadyExists: true };
    const { username, password } = splitAuthenticator(req.authenticator);
    const sealed = encrypt(req.authenticator, this.config.encryptionKey);
    let ping: PingResult | undefined;
    if (req.checkConnection) {
      const url = PeerRegistry.baseUrl(req.url, req.port);
      ping = await new PeerClient(req.name, new LibrarianClient({ url, username, password })).ping();
      if (!ping.ok) {
        throw new LibrarianError(400, `Cannot log in to "${req.name}" at ${url}: ${ping.error}`, 'Check the URL, port and credentials, or add it with check_connection false.', { ping_success: false });
      }
      // v2 Librarians do not say their name (their ping answers name and description only).
      if (ping.librarianName !== undefined && ping.librarianName !== req.name) {
        throw new LibrarianError(400, `The Librarian at that address calls itself "${ping.librarianName}", not "${req.name}".`, 'Use the name the peer has in its configuration: callbacks are matched by it.', { ping_success: true });
      }
    }
    // Sending to a peer where our account may not upload would only collect refusals.
    const sending = req.sending ?? (ping?.level ? atLeast(ping.level, 'READAPPEND') : true);
    await this.db.librarian.create({ data: { name: req.name, url: req.url, port: req.port, authenticator: sealed, sending, lastSeen: ping?.ok ? new Date() : null } });
    this.log.info({ peer: req.name, sending }, 'peer added');
    return { alreadyExists: false, ping, sending };
  }

  async setTransfersEnabled(name: string, enabled: boolean): Promise<void> {
    await this.row(name);
    await this.db.librarian.update({ where: { name }, data: { transfersEnabled: enabled } });
    this.log.info({ peer: name, enabled }, enabled ? 'transfers to peer resumed' : 'transfers to peer paused');
  }

  /** Refuses (409) to remove a peer whose confirmed copies would be forgotten unless asked to. */
  async assertRemovable(name: string, opts: { removeRemoteInstances: boolean }): Promise<void> {
    const p = await this.row(name);
    const copies = await this.db.remoteInstance.count({ where: { librarianId: p.id } });
    if (copies > 0 && !opts.removeRemoteInstances) {
      throw conflict(`${copies} files are recorded as copied to "${name}"; removing the peer would forget those copies.`, 'To remove the peer and those records, pass remove_remote_instances: true (librarian peers remove --forget-copies).');
    }
  }

  /**
   * Removes a peer. Transfers to it that have not finished are failed: without the peer they can
   * never finish (the flows layer cancels its batches in flight first). Finished ones are kept.
   */
  async remove(name: string, opts: { removeRemoteInstances: boolean }): Promise<{ transfersFailed: number }> {
    await this.assertRemovable(name, opts);
    const p = await this.row(name);
    const transfersFailed = await this.outgoing.failAllTo(name, 'peer removed');
    await this.db.librarian.delete({ where: { id: p.id } });
    this.log.info({ peer: name, transfersFailed }, 'peer removed');
    return { transfersFailed };
  }

  async heard(name: string): Promise<void> {
    await this.db.librarian.updateMany({ where: { name }, data: { lastHeard: new Date() } });
  }
}
