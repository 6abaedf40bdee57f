/**
 * Alerts for operators: recorded in the catalog's error log (v2 search/error), logged, and posted
 * to a Slack incoming webhook when one is configured (notifications.slackWebhookUrl). A webhook
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
}

export class NotificationService {
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
    const url = this.config.notifications.slackWebhookUrl;
    if (!url) return;
    const icon = level === 'error' ? ':rotating_light:' : level === 'warn' ? ':warning:' : ':ledger:';
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: this.config.displayedSiteName, text: `${icon} [${this.config.name}] ${message}` }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) this.log.warn({ status: res.status }, 'Slack webhook refused the alert');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'Slack webhook unreachable');
    }
  }
}
