import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type CopyValue = string | number | boolean | Date | string[] | null;

/** One value in COPY's text format: \N for null, backslash escapes for the characters COPY reserves. */
function encode(value: CopyValue): string {
  if (value === null) return '\\N';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (Array.isArray(value)) return `{${value.map((v) => `"${v.replace(/(["\\])/g, '\\$1')}"`).join(',')}}`.replace(/\\/g, '\\\\');
  return String(value).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** Streams rows into `table` with COPY FROM STDIN, in chunks of about a megabyte. */
export async function copyRows<T>(client: Client, table: string, columns: string[], rows: readonly T[], toValues: (row: T) => CopyValue[]): Promise<void> {
  async function* chunks(): AsyncGenerator<string> {
    let buffer = '';
    for (const row of rows) {
      buffer += toValues(row).map(encode).join('\t') + '\n';
      if (buffer.length > 1 << 20) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer.length > 0) yield buffer;
  }
  const sink = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(chunks()), sink);
}
