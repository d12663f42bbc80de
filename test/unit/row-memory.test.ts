import type { PictureRow } from '../../src/modules/picture/picture.repository';
import { RowMemory } from '../../src/modules/picture/row-memory';

const row = (componentId: string, revision: number) => ({ componentId, revision } as PictureRow);

test('recalls what it remembers and names what it does not', () => {
  const memory = new RowMemory(10);
  memory.remember([row('a', 1), row('b', 2)]);
  memory.remember([row('a', 3)]);
  expect(memory.recall(['a', 'b', 'c'])).toEqual({ rows: [row('a', 3), row('b', 2)], missing: ['c'] });
  memory.forget(['b']);
  expect(memory.recall(['b']).missing).toEqual(['b']);
});

test('beyond its size it forgets the rows read or written longest ago', () => {
  const memory = new RowMemory(3);
  memory.remember([row('a', 1), row('b', 1), row('c', 1)]);
  memory.remember([row('a', 2)]);
  memory.remember([row('d', 1), row('e', 1)]);
  expect(memory.size).toBe(3);
  expect(memory.recall(['a', 'b', 'c', 'd', 'e']).missing).toEqual(['b', 'c']);
});
