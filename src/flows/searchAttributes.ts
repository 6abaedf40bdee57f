/** The Librarian's Temporal namespace and its custom search attributes (`librarian setup`). */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';

const INDEXED: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.TEXT]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.BOOL]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.DOUBLE]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.KEYWORD_LIST]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Adds these of the Librarian's search attributes to the namespace; returns their names. */
export async function addSearchAttributes(connection: Pick<Client['connection'], 'operatorService'>, namespace: string, keys = ALL_SEARCH_ATTRIBUTES): Promise<string[]> {
  if (keys.length === 0) return [];
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(keys.map((k) => [k.name, INDEXED[k.type]!])) });
  return keys.map((k) => k.name);
}

/** Registers the Librarian's search attributes on the namespace; returns the ones it added. */
export async function registerSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set(Object.keys(existing.customAttributes ?? {}));
  return addSearchAttributes(client.connection, namespace, ALL_SEARCH_ATTRIBUTES.filter((k) => !have.has(k.name)));
}

/**
 * Creates the namespace when the cluster lacks it (a production cluster starts with none but its
 * system namespace; the dev server creates its own). Returns whether it was created.
 */
export async function ensureNamespace(client: Client, namespace: string, retentionMs: number): Promise<boolean> {
  try {
    await client.connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (e) {
    if ((e as { code?: number }).code !== 5 /* NOT_FOUND */) throw e;
  }
  try {
    await client.connection.workflowService.registerNamespace({
      namespace,
      description: 'Librarian workflows (created by librarian setup)',
      workflowExecutionRetentionPeriod: msToTs(retentionMs),
    });
    await untilServed(client, namespace);
    return true;
  } catch (e) {
    // Another setup created it at the same moment.
    if ((e as { code?: number }).code === 6 /* ALREADY_EXISTS */) return false;
    throw e;
  }
}

/**
 * A namespace just registered is unknown to the cluster's services until their namespace caches
 * refresh (10 s by default). Setup runs once, with an operator waiting: it waits for that, up to a
 * bound, rather than fail on the next call.
 */
async function untilServed(client: Client, namespace: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.connection.operatorService.listSearchAttributes({ namespace });
      return;
    } catch (e) {
      if ((e as { code?: number }).code !== 5 /* NOT_FOUND */ || Date.now() > deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
