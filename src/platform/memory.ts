import v8 from 'node:v8';

/** V8's flag for `percent` (0: none, V8 chooses). */
export function heapGrowthFlag(percent: number): string | null {
  return percent > 0 ? `--heap-growing-percent=${percent}` : null;
}

/**
 * How far the JavaScript heap may grow past what the last full collection kept, before the next
 * one (HEAP_GROWTH_PERCENT). V8 reads its `--heap-growing-percent` at every collection, so it can be
 * set here after start. Left to itself, V8 on a machine with gigabytes free lets the heap grow to
 * up to four times what is live; a what-if on a hub or a report above one makes hundreds of
 * megabytes of short-lived objects, and the process's memory then climbs far above what it holds
 * (docs/operations.md, "Memory").
 */
export function limitHeapGrowth(percent: number): void {
  const flag = heapGrowthFlag(percent);
  if (flag) v8.setFlagsFromString(flag);
}
