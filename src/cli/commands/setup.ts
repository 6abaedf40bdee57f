import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { setup } from '../../flows/setup';
import { configFlag, ServerCommand } from '../base';
import { readStdin } from '../signals';

export default class Setup extends ServerCommand {
  static override summary = 'Prepare a Librarian: migrate the catalog, sync stores from the configuration, create the first admin, prepare the Temporal namespace.';
  static override description = `Safe to run again: applies only missing migrations, updates store settings (keeping each store's enabled toggle), and creates the admin only when no ADMIN user exists. Without --admin-password-stdin/--admin-password-file a password is generated and printed once.`;
  static override flags = {
    ...configFlag,
    'admin-user': Flags.string({ default: 'admin', description: 'Username of the first administrator.' }),
    'admin-password-stdin': Flags.boolean({ description: "Read the first administrator's password from standard input." }),
    'admin-password-file': Flags.string({ description: "Read the first administrator's password from this file." }),
    'no-temporal': Flags.boolean({ description: 'Do not touch Temporal (by default setup creates the namespace if missing and registers the search attributes on it).' }),
  };

  async run() {
    const { flags } = await this.parse(Setup);
    const config = await this.loadConfig(flags.config);
    const adminPassword = flags['admin-password-stdin']
      ? await readStdin()
      : flags['admin-password-file']
        ? readFileSync(flags['admin-password-file'], 'utf8').trim()
        : undefined;
    if (adminPassword !== undefined && adminPassword.length < 8) this.error('The admin password needs at least 8 characters.', { exit: 1 });
    const result = await setup(config, { adminUser: flags['admin-user'], adminPassword, temporal: !flags['no-temporal'] });
    this.log(`Catalog: ${config.database.provider}; migrations applied now: ${result.migrationsApplied.join(', ') || 'none (up to date)'}`);
    this.log(`Stores created: ${result.stores.created.join(', ') || 'none'}; updated: ${result.stores.updated.join(', ') || 'none'}`);
    if (result.stores.unconfigured.length) this.warn(`Stores in the catalog but not in the configuration (kept): ${result.stores.unconfigured.join(', ')}`);
    if (result.admin.created) {
      this.log(`Created ADMIN user "${result.admin.username}".`);
      if (result.admin.generatedPassword) this.log(`Its generated password (shown only now): ${result.admin.generatedPassword}`);
    } else {
      this.log('An ADMIN user already exists; no user created.');
    }
    if (result.namespaceCreated) this.log(`Temporal namespace ${config.temporal.namespace} created (histories kept ${Math.round(config.temporal.retention / 86_400_000)} days after workflows end).`);
    if (result.searchAttributesAdded) this.log(`Search attributes added on namespace ${config.temporal.namespace}: ${result.searchAttributesAdded.join(', ') || 'none (all present)'}`);
    return result;
  }
}
