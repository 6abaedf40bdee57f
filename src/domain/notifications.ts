/**
 * Alerts for operators: recorded in the catalog's error log (v2 search/error), logged, and posted
 * to a Slack incoming webhook and to a generic JSON webhook when configured. An alert with a
 * `key` (its subject and cause: a peer and a reason, a store) is sent at most once per
 * notifications.repeatAfter by this process; repeats are still logged and recorded. A webhook
 * or a record that fails is logged, never fatal.
 */
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { ErrorCategory, ErrorLog, ErrorSeverity } from './errorLog';

export type AlertLevel = 'info' | 'warn' | 'error';

const SEVERITY: Record<AlertLevel, ErrorSeverity> = { info: 'info', warn: 'warning', error: 'error' };

export interface AlertOptions {
  /** What the alert is about (v2 ErrorCategory). */
  category: ErrorCategory;
  /** What raised it: "audit", "repair", "clone", ... */
  caller: string;
  /** Subject and cause: the same key is sent once per notifications.repeatAfter. */
  key?: string;
}

/** What this process sent, for its metrics. */
export interface AlertStats {
  sent: Map<string, number>;
  suppressed: number;
  failed: number;
}

export class NotificationService {
  private readonly lastSent = new Map<string, number>();
  readonly stats: AlertStats = { sent: new Map(), suppressed: 0, failed: 0 };

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly errors: ErrorLog,
  ) {}

  async alert(level: AlertLevel, message: string, fields: Record<string, unknown>, opts: AlertOptions): Promise<void> {
    const id = await this.errors.record(SEVERITY[level], opts.category, message, opts.caller).catch((e: unknown) => {
      this.log.warn({ err: (e as Error).message }, 'could not record the alert in the error log');
      return undefined;
    });
    this.log[level]({ ...fields, alert: true, error_id: id, category: opts.category }, message);
    if (opts.key !== undefined) {
      const now = Date.now();
      const last = this.lastSent.get(opts.key);
      if (last !== undefined && now - last < this.config.notifications.repeatAfter) {
        this.stats.suppressed++;
        return;
      }
      this.lastSent.set(opts.key, now);
    }
    const { slackWebhookUrl, webhookUrl } = this.config.notifications;
    const icon = level === 'error' ? ':rotating_light:' : level === 'warn' ? ':warning:' : ':ledger:';
    await Promise.all([
      slackWebhookUrl ? this.post('slack', slackWebhookUrl, { username: this.config.displayedSiteName, text: `${icon} [${this.config.name}] ${message}` }) : undefined,
      webhookUrl
        ? this.post('webhook', webhookUrl, { librarian: this.config.name, site: this.config.displayedSiteName, level, category: opts.category, caller: opts.caller, message, fields, error_id: id ?? null, time: new Date().toISOString() })
        : undefined,
    ]);
  }

  private async post(channel: 'slack' | 'webhook', url: string, body: unknown): Promise<void> {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      if (!res.ok) {
        this.stats.failed++;
        this.log.warn({ status: res.status, channel }, 'alert webhook refused the alert');
        return;
      }
      this.stats.sent.set(channel, (this.stats.sent.get(channel) ?? 0) + 1);
    } catch (e) {
      this.stats.failed++;
      this.log.warn({ err: (e as Error).message, channel }, 'alert webhook unreachable');
    }
  }
}
