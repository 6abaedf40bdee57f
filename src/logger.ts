import pino from 'pino';
import type { Config } from './config';

export type Logger = pino.Logger;

/** JSON logs on stderr (and optionally a file); stdout stays free for command output. */
export function createLogger(config: Pick<Config, 'log' | 'name'>, component: string): Logger {
  const streams: pino.StreamEntry[] = [{ level: config.log.level, stream: pino.destination(2) }];
  if (config.log.file) streams.push({ level: config.log.level, stream: pino.destination({ dest: config.log.file, mkdir: true, sync: false }) });
  return pino({ level: config.log.level, base: { librarian: config.name, component } }, pino.multistream(streams));
}
