/**
 * Times that requests carry, read as v2 clients send them (wire-v2.md §1.6): ISO 8601 with `Z`
 * or an offset, without an offset (UTC wall-clock time, as v2 writes it), a date alone (its
 * midnight UTC), or a Unix time (seconds; milliseconds beyond ±2e10, as pydantic reads numbers).
 *
 * Years run from 0001 to 9999: what ISO 8601's four-digit years, Python's datetime and both
 * catalog databases all hold. JavaScript dates reach year 275760, and the database drivers
 * fail on such values with an error that says nothing of the request.
 */
export const EARLIEST_TIME = new Date('0001-01-01T00:00:00.000Z');
export const LATEST_TIME = new Date('9999-12-31T23:59:59.999Z');

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

const leap = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const daysIn = (year: number, month: number) => (month === 2 ? (leap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);

/** The time, or what is wrong with it (said so that a client can fix the request). */
export function parseTime(value: string | number): Date | { problem: string } {
  const range = `times run from ${EARLIEST_TIME.toISOString()} to ${LATEST_TIME.toISOString()}`;
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { problem: `${value} is not a time; give an ISO 8601 time or a Unix time in seconds` };
    ms = Math.abs(value) > 2e10 ? value : value * 1000;
  } else {
    const m = ISO.exec(value.trim());
    if (!m) {
      const extended = /^[+-]?\d{5,}-|^-\d{4}-/.test(value.trim());
      return { problem: extended ? `"${value}" is out of range: ${range}` : `"${value}" is not an ISO 8601 time (such as 2026-01-31T12:00:00Z)` };
    }
    const [, y, mo, d, h, mi, s, frac, zone] = m;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 59) {
      return { problem: `"${value}" is not a valid date and time` };
    }
    let offset = 'Z';
    if (zone && zone.toUpperCase() !== 'Z') offset = zone.length === 3 ? `${zone}:00` : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
    // No offset: UTC, as v2 writes times (JavaScript would read it as the server's local time).
    ms = Date.parse(`${y}-${mo}-${d}T${h ?? '00'}:${mi ?? '00'}:${s ?? '00'}${(frac ?? '').slice(0, 4)}${offset}`);
    if (Number.isNaN(ms)) return { problem: `"${value}" is not a valid date and time` };
  }
  if (!(ms >= EARLIEST_TIME.getTime() && ms <= LATEST_TIME.getTime())) return { problem: `${typeof value === 'string' ? `"${value}"` : value} is out of range: ${range}` };
  return new Date(ms);
}
