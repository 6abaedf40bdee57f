import type { Config } from '../config';
import { connectClient } from '../temporal/connection';
import { registerSearchAttributes } from '../temporal/registerSearchAttributes';
import { createServices } from '.';
import { migrate } from './migrate';

export interface SetupOptions {
  adminUser: string;
  /** Used only when there is no ADMIN yet; generated (and returned once) when absent. */
  adminPassword?: string;
  /** Register search attributes on the Temporal namespace (needs the cluster reachable). */
  temporal: boolean;
}

export interface SetupResult {
  migrationsApplied: string[];
  stores: { created: string[]; updated: string[]; unconfigured: string[] };
  admin: { username: string; created: boolean; generatedPassword?: string };
  searchAttributesAdded: string[] | null;
}

/** Migrate the catalog, sync stores from the configuration, create the first admin. Idempotent. */
export async function setup(config: Config, opts: SetupOptions): Promise<SetupResult> {
  const migrationsApplied = await migrate(config.database);
  const services = await createServices(config, 'setup');
  try {
    const stores = await services.stores.sync(config.stores);
    const admin = await services.users.ensureAdmin(opts.adminUser, opts.adminPassword);
    let searchAttributesAdded: string[] | null = null;
    if (opts.temporal) {
      const client = await connectClient(config.temporal);
      try {
        searchAttributesAdded = await registerSearchAttributes(client, config.temporal.namespace);
      } finally {
        await client.connection.close();
      }
    }
    return { migrationsApplied, stores, admin: { username: opts.adminUser, ...admin }, searchAttributesAdded };
  } finally {
    await services.close();
  }
}
