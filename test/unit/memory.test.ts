import { execFileSync } from 'node:child_process';
import { heapGrowthFlag } from '../../src/platform/memory';

/**
 * HEAP_GROWTH_PERCENT works only while V8 honours `--heap-growing-percent` set after start: a Node
 * whose V8 dropped or renamed the flag would accept it silently. A child process keeps a rolling
 * window of live objects while it makes garbage, with and without the flag, and reports the largest
 * heap it had.
 */
const CHURN = `
const v8 = require('node:v8');
const flag = process.argv[1];
if (flag) v8.setFlagsFromString(flag);
const window = [];
let largest = 0;
for (let i = 0; i < 300; i++) {
  const batch = [];
  for (let j = 0; j < 20000; j++) batch.push({ a: j, b: 'x' + j, c: [j, j + 1] });
  window.push(batch);
  if (window.length > 20) window.shift();
  largest = Math.max(largest, v8.getHeapStatistics().total_heap_size);
}
process.stdout.write(String(largest));
`;

function largestHeap(flag: string | null): number {
  return Number(execFileSync(process.execPath, ['-e', CHURN, flag ?? ''], { encoding: 'utf8', timeout: 60_000 }));
}

test('a limited heap growth keeps the heap smaller while garbage is made', () => {
  expect(heapGrowthFlag(0)).toBeNull();
  const free = largestHeap(null);
  const limited = largestHeap(heapGrowthFlag(100));
  expect(limited).toBeLessThan(free * 0.8);
}, 60_000);
