/** `librarian setup`: the catalog migrated, stores synced from the configuration, the first admin, search attributes. */
import type { Config } from '../config';
import { createDomain } from '../domain';
import { migrate } from '../domain/catalog/migrate';
import { ensureNamespace, registerSearchAttributes } from './searchAttributes';
import { connectClient } from './temporal';

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
  /** Whether setup created the Temporal namespace (null: Temporal not touched). */
  namespaceCreated: boolean | null;
}

/** Idempotent: safe to run after every upgrade. */
export async function setup(config: Config, opts: SetupOptions): Promise<SetupResult> {
  const migrationsApplied = await migrate(config.database);
  const domain = await createDomain(config, 'setup');
  try {
    const stores = await domain.stores.sync(config.stores);
    const admin = await domain.users.ensureAdmin(opts.adminUser, opts.adminPassword);
    let searchAttributesAdded: string[] | null = null;
    let namespaceCreated: boolean | null = null;
    if (opts.temporal) {
      const client = await connectClient(config.temporal);
      try {
        namespaceCreated = await ensureNamespace(client, config.temporal.namespace, config.temporal.retention);
        searchAttributesAdded = await registerSearchAttributes(client, config.temporal.namespace);
      } finally {
        await client.connection.close();
      }
    }
    return { migrationsApplied, stores, admin: { username: opts.adminUser, ...admin }, searchAttributesAdded, namespaceCreated };
  } finally {
    await domain.close();
  }
}
