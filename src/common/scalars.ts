import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { ISO_DATE, ISO_DATE_TIME, isRealDay, parseIsoDateTime } from './calendar';

function invalid(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_DATE_TIME.test(value)) {
    throw invalid(`DateTime must be ISO-8601 with an offset, e.g. 2020-01-17T17:30:00+01:00; got ${JSON.stringify(value)?.slice(0, 60)}`);
  }
  const date = parseIsoDateTime(value);
  if (!date) throw invalid(`DateTime ${value} is not a real moment (a day, hour or offset out of range)`);
  return date;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'ISO-8601 date-time with offset',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot serialise an invalid date');
    return date.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw invalid('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});

function parseDate(value: unknown): string {
  const match = typeof value === 'string' ? ISO_DATE.exec(value) : null;
  if (!match || !isRealDay(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw invalid(`Date must be a real calendar day, YYYY-MM-DD; got ${JSON.stringify(value)?.slice(0, 60)}`);
  }
  return match[0];
}

export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD',
  serialize(value) {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    return parseDate(value);
  },
  parseValue: parseDate,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw invalid('Date must be a string');
    return parseDate(ast.value);
  },
});
