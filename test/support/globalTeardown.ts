export default async function globalTeardown(): Promise<void> {
  for (const stop of (globalThis.__librarianTestTeardown ?? []).reverse()) await stop();
}
