/**
 * Transfer statuses as the catalog stores them and as the wire carries them (SO Librarian enum
 * values), and the transitions between them. Pure: imported by workflows too.
 */
export const TRANSFER_STATUSES = ['INITIATED', 'ONGOING', 'STAGED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** Wire values of TransferStatus. */
export const STATUS_VALUE = { INITIATED: 0, ONGOING: 1, STAGED: 2, COMPLETED: 3, FAILED: 4, CANCELLED: 5 } as const satisfies Record<TransferStatus, number>;
export const ACTIVE_STATUSES: TransferStatus[] = ['INITIATED', 'ONGOING', 'STAGED'];
export const TERMINAL_STATUSES: TransferStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export function statusName(v: number | string): TransferStatus | undefined {
  if (typeof v === 'string') return TRANSFER_STATUSES.find((n) => n === v.toUpperCase());
  return TRANSFER_STATUSES.find((n) => STATUS_VALUE[n] === v);
}

/**
 * Every transition a transfer may make (inventory §2.5). COMPLETED is reached only from STAGED,
 * by the side that verified the copy; a peer can never set it (checkin/update refuses it).
 */
const ALLOWED: Record<TransferStatus, TransferStatus[]> = {
  INITIATED: ['ONGOING', 'STAGED', 'FAILED', 'CANCELLED'],
  ONGOING: ['STAGED', 'FAILED', 'CANCELLED'],
  STAGED: ['COMPLETED', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export function canMove(from: TransferStatus, to: TransferStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** The statuses a transfer may be in to move to `to`. */
export function sourcesOf(to: TransferStatus): TransferStatus[] {
  return TRANSFER_STATUSES.filter((s) => ALLOWED[s].includes(to));
}
