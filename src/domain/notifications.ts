/**
 * Alerts for operators: always logged, and posted to a Slack incoming webhook when one is
 * configured (notifications.slackWebhookUrl). A webhook that fails is logged, never fatal.
 */
import type { Config } from '../config';
import type { Logger } from '../logger';

export type AlertLevel = 'info' | 'warn' | 'error';

export class NotificationService {
  constructor(
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  async alert(level: AlertLevel, message: string, fields: Record<string, unknown> = {}): Promise<void> {
    this.log[level]({ ...fields, alert: true }, message);
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
