/**
 * Bodies of the HTTP protocol (/api/v2) that more than one side reads: the CLI's client, peer
 * Librarians (our peer client) and the API routes that answer them. The routes declare their
 * answers with these types, so a field renamed on one side fails to compile on the other.
 */

/** v2 ErrorSeverity and ErrorCategory: lower-case strings on the wire (wire-v2.md §4.4). */
export const ERROR_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type ErrorSeverity = (typeof ERROR_SEVERITIES)[number];
export const ERROR_CATEGORIES = ['data_integrity', 'data_availability', 'configuration', 'store_full', 'programming', 'librarian_network_availability', 'transfer'] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export interface PingResponse {
  name: string;
  description: string;
  librarian_name: string;
  username: string | null;
}

// ---- uploads ----

export interface UploadStageResponse {
  transfer_id: number;
  available_bytes_on_store: number;
  store_name: string;
  staging_name: string;
  staging_location: string;
  upload_name: string;
  destination_location: string;
  transfer_providers: { local?: { hostnames: string[] } };
  /** Not from v2 servers, which take data only by copy into staging_location. */
  http_upload?: { url: string; status: string };
  superseded_transfer_ids: number[];
}

export interface UploadStatusResponse {
  transfer_id: number;
  status: string;
  upload_size: number;
  received_bytes: number;
  complete: boolean;
  received_files: { path: string; size: number }[];
  failure_reason: string | null;
}

export interface UploadCommitResponse {
  success: true;
  transfer_id: number;
  file_name: string;
  instance_id: number;
  store_name: string;
  path: string;
}

// ---- clones, between Librarians ----

/** How a destination offers to receive data. */
export interface TransferProviders {
  local?: { hostnames: string[] };
  globus?: { endpoint_id: string; root: string };
}

/**
 * The same offers with the fields v2 peers parse too (wire-v2.md §4.5: they tell Globus by
 * `destination_endpoint`, local by `hostnames`, and use the first), Globus first: a v2 peer at
 * another site can use only that.
 */
export interface V2AsyncProviders {
  globus?: { endpoint_id: string; root: string; destination_endpoint: string; native_app: false; transfer_attempted: false; transfer_complete: false; task_id: '' };
  local?: { hostnames: string[]; transfer_attempted: false; transfer_complete: false; start_time_transfer: null; bytes_transfer: null };
}

export interface CloneItem {
  upload_size: number;
  upload_checksum: string;
  upload_name: string;
  destination_location: string;
  uploader: string;
  source_transfer_id: number;
  /** The file's original creation time (kept by the destination). */
  create_time?: string;
}

/**
 * Sent by our senders in clone/batch_stage (v2 peers ignore unknown fields). A request without it
 * comes from a v2 peer, which gets v2's answers: all of the batch staged or none, with a
 * top-level error listing `source_transfer_ids` (it registers the copies on a 409).
 */
export const CLONE_EXTENSIONS = 1;

export interface BatchStageRequest {
  source: string;
  /** CLONE_EXTENSIONS: the sender reads per-item `already_present` and `refused`. */
  extensions?: number;
  total_size?: number;
  uploads: CloneItem[];
}

export interface StagedClone {
  staging_name: string;
  staging_location: string;
  upload_name: string;
  destination_location: string;
  source_transfer_id: number;
  destination_transfer_id: number;
}

export interface BatchStageResponse {
  available_bytes_on_store: number;
  store_name: string | null;
  uploads: StagedClone[];
  /** Not from v2 peers (they refuse the whole batch instead). */
  already_present?: { source_transfer_id: number; store_id: number; checksum: string }[];
  refused?: { source_transfer_id: number; status: number; reason: string }[];
  async_transfer_providers: TransferProviders & V2AsyncProviders;
}

export interface CheckinUpdateRequest {
  source_transfer_ids: number[];
  destination_transfer_ids: number[];
  /** TransferStatus wire value. */
  new_status: number;
  reason?: string;
}

export interface CheckinUpdateResponse {
  modified_source_transfer_ids: number[];
  modified_destination_transfer_ids: number[];
  unmodified_source_transfer_ids: number[];
  unmodified_destination_transfer_ids: number[];
  reasons: string[];
  /** Where each incoming transfer named now stands (null: not found or not yours). Not from v2 peers. */
  destination_transfer_status?: Record<string, number | null>;
}

export interface CheckinStatusRequest {
  source_transfer_ids: number[];
  destination_transfer_ids: number[];
}

export interface CheckinStatusResponse {
  source_transfer_status: Record<string, number | null>;
  destination_transfer_status: Record<string, number | null>;
  /** For incoming transfers that are COMPLETED: the store that holds the file. Not from v2 peers. */
  destination_transfer_store_ids?: Record<string, number | null>;
}

export interface CloneCompleteRequest {
  source_transfer_id: number;
  destination_transfer_id: number;
  store_id: number;
}

// ---- validation and repair ----

export interface ValidateFileRequest {
  file_name: string;
  /** Hash again even when a verified checksum is younger than the cache lifetime. */
  force?: boolean;
  /** Also ask every peer that holds a copy (they ask theirs, down to `depth` hops). */
  peers?: boolean;
  /** Hops left (default 3); a peer asked with depth 0 answers for itself only. */
  depth?: number;
  /** Librarians already asked on this path: never asked again (cycles). */
  visited?: string[];
}

/** One copy's verdict. v2 reads librarian and computed_same_checksum; the rest is ours. */
export interface ValidationItem {
  librarian: string;
  store: number;
  store_name?: string;
  instance_id: number;
  path?: string;
  original_checksum: string;
  original_size: number;
  current_checksum: string | null;
  current_size: number | null;
  computed_same_checksum: boolean;
  /** When the current checksum was computed; absent from v2 peers (they cache for up to a day). */
  checksum_time?: string | null;
  cached?: boolean;
  /** good, lost, corrupt, unreachable (its store is not mounted, or the peer did not answer). */
  state?: 'good' | 'lost' | 'corrupt' | 'unreachable';
  error?: string;
}

export interface CorruptPrepareRequest {
  file_name: string;
  /** The caller's own name, which must be its account here. */
  librarian_name: string;
}

export interface CorruptPrepareResponse {
  ready: boolean;
}

export interface CorruptResendRequest {
  librarian_name: string;
  file_name: string;
}

export interface CorruptResendResponse {
  success: boolean;
  /** The caller's incoming transfer that brings the new copy. */
  destination_transfer_id: number;
}
