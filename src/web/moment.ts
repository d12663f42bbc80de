import { TIME_ZONE } from './language';

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** How far Dutch time is ahead of UTC at `utcMs` (one hour in winter, two in summer). */
function dutchOffsetMs(utcMs: number): number {
  const p = Object.fromEntries(parts.formatToParts(new Date(utcMs)).map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - Math.floor(utcMs / 1000) * 1000;
}

/**
 * A moment as a person types it in an address: `2020-01-17T18:00` is Dutch time (the scenario's
 * and the residents' clock); with `Z` or an offset it is that. A `+` that arrived as a space (an
 * unencoded offset in a query string) is read as `+`. Null when it is neither.
 */
export function parseMoment(text: string): Date | null {
  const value = text.trim().replace(/ (\d{2}:\d{2})$/, '+$1');
  const local = LOCAL.exec(value);
  if (local) {
    const [, y, mo, d, h, mi, s] = local.map(Number);
    const wall = Date.UTC(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s);
    // The offset at the wall time read as UTC is at most an hour off; asking again at the result settles it.
    let utc = wall - dutchOffsetMs(wall);
    utc = wall - dutchOffsetMs(utc);
    const moment = new Date(utc);
    // Date.UTC rolls 2020-13-01 over into 2021; such a date does not exist.
    const check = new Date(wall);
    const exists = check.getUTCFullYear() === y && check.getUTCMonth() === mo - 1 && check.getUTCDate() === d && check.getUTCHours() === h && check.getUTCMinutes() === mi;
    return Number.isNaN(moment.getTime()) || !exists ? null : moment;
  }
  if (!WITH_OFFSET.test(value)) return null;
  const moment = new Date(value);
  return Number.isNaN(moment.getTime()) ? null : moment;
}
