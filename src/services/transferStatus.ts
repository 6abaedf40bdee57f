import type { TransferStatus } from '../generated/postgres/enums';

/** Wire values of TransferStatus (SO Librarian enum values). */
export const STATUS_VALUE: Record<TransferStatus, number> = { INITIATED: 0, ONGOING: 1, STAGED: 2, COMPLETED: 3, FAILED: 4, CANCELLED: 5 };
export const STATUS_NAMES = Object.keys(STATUS_VALUE) as TransferStatus[];
export const ACTIVE_STATUSES: TransferStatus[] = ['INITIATED', 'ONGOING', 'STAGED'];
export const TERMINAL_STATUSES: TransferStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export function statusName(v: number | string): TransferStatus | undefined {
  if (typeof v === 'string') return STATUS_NAMES.find((n) => n === v.toUpperCase());
  return STATUS_NAMES.find((n) => STATUS_VALUE[n] === v);
}

/** The transitions checkin/update may make (inventory §2.5); COMPLETED is never set this way. */
const ALLOWED: Record<TransferStatus, TransferStatus[]> = {
  INITIATED: ['ONGOING', 'STAGED', 'FAILED', 'CANCELLED'],
  ONGOING: ['STAGED', 'FAILED', 'CANCELLED'],
  STAGED: ['FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export function canMove(from: TransferStatus, to: TransferStatus): boolean {
  return ALLOWED[from].includes(to);
}

export type { TransferStatus };
