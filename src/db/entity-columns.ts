import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { epochMs } from './epoch-ms';

/** A select list of every column of an entity, and how to read such a row back into the entity. */
export interface EntityColumns<T> {
  /** `alias.column AS "prefix+property"`, moments as epoch milliseconds. */
  list: string;
  /** The entity in a row selected with `list` (the row's other columns are ignored). */
  read(row: { [column: string]: unknown }): T;
}

/**
 * Every column of the entity joined as `alias`, each named after its property (with `prefix` in
 * front, when the statement selects other columns too), so that a plain statement's rows become
 * entities without the query builder: some requests read hundreds of them. The target may be named
 * ('Component'), so that a module can read another's rows without importing it at run time. One
 * per data source, entity, alias and prefix.
 */
export function entityColumns<T extends ObjectLiteral>(db: EntityManager, target: EntityTarget<T>, alias: string, prefix = ''): EntityColumns<T> {
  let lists = columnLists.get(db.connection);
  if (lists === undefined) columnLists.set(db.connection, (lists = new Map()));
  const metadata = db.connection.getMetadata(target);
  const key = `${metadata.name} ${alias} ${prefix}`;
  let columns = lists.get(key);
  if (columns === undefined) {
    const all = metadata.columns.map((column) => ({
      column: `${alias}.${column.databaseName}`,
      name: `${prefix}${column.propertyName}`,
      property: column.propertyName,
      isMoment: column.type === 'timestamptz',
    }));
    columns = {
      list: all.map(({ column, name, isMoment }) => `${isMoment ? epochMs(column) : column} AS "${name}"`).join(', '),
      read(row) {
        const entity = metadata.create() as { [property: string]: unknown };
        for (const { name, property, isMoment } of all) {
          const value = row[name];
          entity[property] = isMoment && value !== null ? new Date(value as number) : value;
        }
        return entity;
      },
    };
    lists.set(key, columns);
  }
  return columns as EntityColumns<T>;
}

const columnLists = new WeakMap<object, Map<string, EntityColumns<unknown>>>();
