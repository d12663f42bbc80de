/**
 * One row's list of ids in PostgreSQL's text form of a uuid[] ('{a,b}'), for statements that write
 * many rows from parallel arrays: unnest cannot hand out arrays of arrays, so each row's list
 * travels as one text element and is cast back with `::uuid[]` (order kept). A uuid needs no quoting.
 */
export function uuidArrayLiteral(ids: readonly string[]): string {
  return `{${ids.join(',')}}`;
}
