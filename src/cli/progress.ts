import type CliProgress from 'cli-progress';
import { formatBytes } from './format';

/** Progress bars on stderr for the phases of a long command; silent when not a terminal. */
export function phaseBars(enabled: boolean) {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  // Loaded only when bars are drawn: scripts and pipes (no terminal) do not pay for it at start.
  const cliProgress = require('cli-progress') as typeof CliProgress;
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' {phase} |{bar}| {percentage}% {done}/{all}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, CliProgress.SingleBar>();
  return {
    update(phase: string, done: number, total: number) {
      let bar = bars.get(phase);
      const payload = { phase: phase.padEnd(10), done: formatBytes(done), all: formatBytes(total) };
      if (!bar) {
        bar = multi.create(Math.max(total, 1), done, payload);
        bars.set(phase, bar);
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(done, payload);
    },
    stop() {
      multi.stop();
    },
  };
}
