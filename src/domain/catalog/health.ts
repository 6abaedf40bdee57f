import type { Db } from './db';

/** Whether the catalog answers now: null when it does, else why not (for ping and health checks). */
export async function catalogProblem(db: Db, provider: string, timeoutMs = 3000): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.$queryRawUnsafe('SELECT 1'),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return null;
  } catch (e) {
    return `The catalog (${provider}) does not answer: ${(e as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
