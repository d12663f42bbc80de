/** Dates and moments as the API reads them: strict ISO-8601, every field in its range. */

// An offset is required: "18:00" means nothing without knowing whose 18:00 (the scenario is CET, UTC+1).
export const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|([+-])(\d{2}):(\d{2}))$/;
export const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * True when the fields name a day that exists. JavaScript's Date rolls 2020-02-30 over to 1 March,
 * and PostgreSQL has no year 0000 (it fails in SQL): both are refused here, before either sees them.
 */
export function isRealDay(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}

/**
 * An ISO-8601 date-time with an offset (`Z` or `±hh:mm`, at most 14 hours), every field in its
 * range: the moment it names, or null. The one parser for DateTime arguments and for the
 * timestamps inside cursors, so both refuse the same things over HTTP and WebSocket.
 */
export function parseIsoDateTime(text: string): Date | null {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  if (!isRealDay(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  if (match[8] !== 'Z') {
    const [offsetHours, offsetMinutes] = [Number(match[10]), Number(match[11])];
    if (offsetHours > 14 || offsetMinutes > 59) return null;
  }
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}
