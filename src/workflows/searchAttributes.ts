/**
 * Custom search attributes, so operators can filter workflows in the Temporal Web UI and
 * `librarian workflows list --query`. temporal-dev/search-attributes lists the same names for the
 * dev server (test/unit/searchAttributes.test.ts keeps the two in step); `librarian setup`
 * registers them on a production cluster.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Name of the Librarian that owns the workflow (several may share a namespace). */
export const LIBRARIAN = defineSearchAttributeKey('Librarian', SearchAttributeType.KEYWORD);
/** Current step of the flow, e.g. "staging", "verifying", "waiting-for-peer". */
export const PHASE = defineSearchAttributeKey('LibrarianPhase', SearchAttributeType.KEYWORD);
export const STORE = defineSearchAttributeKey('LibrarianStore', SearchAttributeType.KEYWORD);
/** The other Librarian of a clone batch or drive trip. */
export const PEER = defineSearchAttributeKey('LibrarianPeer', SearchAttributeType.KEYWORD);
export const FILE_NAME = defineSearchAttributeKey('LibrarianFile', SearchAttributeType.KEYWORD);
export const FILE_COUNT = defineSearchAttributeKey('LibrarianFileCount', SearchAttributeType.INT);
export const BYTES = defineSearchAttributeKey('LibrarianBytes', SearchAttributeType.INT);

export const ALL_SEARCH_ATTRIBUTES = [LIBRARIAN, PHASE, STORE, PEER, FILE_NAME, FILE_COUNT, BYTES];
