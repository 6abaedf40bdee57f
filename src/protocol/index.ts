/**
 * The HTTP protocol (/api/v2), one module per group of endpoints. Each export of a group is a
 * Call (path, request schema, answer schema) or a schema its calls share.
 */
export * as audit from './audit';
export * as checkin from './checkin';
export * as clone from './clone';
export * as deletion from './deletion';
export * as errors from './errors';
export * as explain from './explain';
export * as imports from './imports';
export * as peers from './peers';
export * as ping from './ping';
export * as repair from './repair';
export * as search from './search';
export * as sneakernet from './sneakernet';
export * as stores from './stores';
export * as uploads from './uploads';
export * as users from './users';
export * as validation from './validation';
