import { badInput } from '../errors';

/** Optional text: null when absent, BAD_USER_INPUT naming the field when longer than `max`. */
export function optionalText(value: string | null | undefined, field: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (value.length > max) throw badInput(`${field} is limited to ${max} characters`, field);
  return value;
}

/** Required text: trimmed, 1 to `max` characters. */
export function requiredText(value: string | null | undefined, field: string, max: number): string {
  const text = optionalText(value, field, max)?.trim() ?? '';
  if (text === '') throw badInput(`${field} must not be empty`, field);
  return text;
}

/** A clock a few minutes fast at the caller's end is normal; an hour is a mistake. */
const FUTURE_SKEW_MS = 5 * 60_000;
const EARLIEST = new Date('2000-01-01T00:00:00Z');

/** A moment that has happened: default now, at most a few minutes ahead of the server's clock. */
export function pastMoment(value: Date | null | undefined, field: string, now: Date): Date {
  const moment = value ?? now;
  if (moment.getTime() > now.getTime() + FUTURE_SKEW_MS) {
    throw badInput(`${field} lies more than five minutes in the future (server time ${now.toISOString()})`, field);
  }
  if (moment.getTime() < EARLIEST.getTime()) throw badInput(`${field} lies before 2000`, field);
  return moment;
}
