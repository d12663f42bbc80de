import type { EntityManager } from 'typeorm';
import type { EdgeFact } from './status.engine';

/**
 * Every dependency in force, held in this server's memory in compact arrays, so a what-if finds
 * what lies above a component and the dependencies that matter there without asking PostgreSQL to
 * probe its indexes 400,000 times (Centric's gateway: 33,000 components above it, 120,000 edges
 * that matter among 400,000 of theirs; about 0.7 s of the what-if's 2.3 s).
 *
 * The copy is tagged with `live_picture_state.dependency_changes`, which a trigger bumps in every
 * transaction that writes `dependency` (migrations/1768700000000-CountDependencyChanges.ts). A
 * reader asks with the count it read in its own snapshot: the same count means the same
 * dependencies, on every instance; another count means the copy is reloaded in the reader's
 * snapshot first (837,000 dependencies in force at national scale: about 2 s, once per change).
 * A status report walks the copy too, but only when it is current (`keptDependenciesInForce`).
 * About 30 MB at national scale.
 */
export class DependenciesInForce {
  /** Component id → its number here; only components that have or are a dependency. */
  private readonly numberOf = new Map<string, number>();
  private readonly ids: string[] = [];
  /** Dependencies of component n: positions outStart[n] … outStart[n + 1] − 1 of the out* arrays. */
  private readonly outStart: Int32Array;
  private readonly outTarget: Int32Array;
  private readonly outOptional: Uint8Array;
  /** Redundancy group per position of the out* arrays, where there is one (outGrouped 1). */
  private readonly outGrouped: Uint8Array;
  private readonly outGroup = new Map<number, string>();
  /** Dependants of component n: inSource[inStart[n] … inStart[n + 1] − 1]. */
  private readonly inStart: Int32Array;
  private readonly inSource: Int32Array;

  constructor(readonly version: number, rows: readonly DependencyRow[]) {
    // Each row's two components by number, looked up once.
    const from = new Int32Array(rows.length);
    const to = new Int32Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      from[r] = this.number(rows[r].c);
      to[r] = this.number(rows[r].d);
    }
    const count = this.ids.length;
    this.outStart = startsOf(count, from);
    this.inStart = startsOf(count, to);
    this.outTarget = new Int32Array(rows.length);
    this.outOptional = new Uint8Array(rows.length);
    this.outGrouped = new Uint8Array(rows.length);
    this.inSource = new Int32Array(rows.length);
    const outNext = this.outStart.slice(0, count);
    const inNext = this.inStart.slice(0, count);
    for (let r = 0; r < rows.length; r++) {
      const out = outNext[from[r]]++;
      this.outTarget[out] = to[r];
      this.outOptional[out] = rows[r].k === 'OPTIONAL' ? 1 : 0;
      if (rows[r].g !== null) {
        this.outGrouped[out] = 1;
        this.outGroup.set(out, rows[r].g!);
      }
      this.inSource[inNext[to[r]]++] = from[r];
    }
  }

  /** How many dependencies it holds. */
  get size(): number {
    return this.outTarget.length;
  }

  private number(id: string): number {
    let n = this.numberOf.get(id);
    if (n === undefined) {
      n = this.ids.length;
      this.numberOf.set(id, n);
      this.ids.push(id);
    }
    return n;
  }

  /** `componentId` and every component that depends on it, directly or not; `componentId` first. */
  above(componentId: string): string[] {
    const start = this.numberOf.get(componentId);
    if (start === undefined) return [componentId];
    const seen = new Uint8Array(this.ids.length);
    seen[start] = 1;
    const found = [start];
    // Breadth first: `found` is also the queue. The graph is kept acyclic on write; `seen` stops an old cycle.
    for (let next = 0; next < found.length; next++) {
      const n = found[next];
      for (let i = this.inStart[n]; i < this.inStart[n + 1]; i++) {
        const source = this.inSource[i];
        if (seen[source] === 0) {
          seen[source] = 1;
          found.push(source);
        }
      }
    }
    return found.map((n) => this.ids[n]);
  }

  /** The components that dependencies of `members` point to outside `members`, each once. */
  outsideOf(members: readonly string[]): string[] {
    // 1: a member; 2: outside and listed already.
    const seen = this.marked(members);
    const outside: string[] = [];
    for (const componentId of members) {
      const from = this.numberOf.get(componentId);
      if (from === undefined) continue;
      for (let i = this.outStart[from]; i < this.outStart[from + 1]; i++) {
        const to = this.outTarget[i];
        if (seen[to] === 0) {
          seen[to] = 2;
          outside.push(this.ids[to]);
        }
      }
    }
    return outside;
  }

  /**
   * The dependencies of `members` that can matter when they are judged again (as
   * livePictureRepository.edgesThatMatterAndOutsideDeadlines decides in SQL for a write): those between members, those in a
   * redundancy group, and those to a component outside that `inOutage` says is in an outage
   * (`outsideOutage`). A dependency on a component outside that works imposes nothing.
   */
  edgesThatMatter(members: readonly string[], inOutage: ReadonlySet<string>): (EdgeFact & { outsideOutage: boolean })[] {
    const inside = this.marked(members);
    // Marked by number once (46,000 outages), rather than looked up by id per dependency (400,000).
    const down = this.marked(inOutage);
    const edges: (EdgeFact & { outsideOutage: boolean })[] = [];
    for (const componentId of members) {
      const from = this.numberOf.get(componentId);
      if (from === undefined) continue;
      for (let i = this.outStart[from]; i < this.outStart[from + 1]; i++) {
        const to = this.outTarget[i];
        const isInside = inside[to] === 1;
        const outage = !isInside && down[to] === 1;
        const redundancyGroup = this.outGrouped[i] === 1 ? this.outGroup.get(i)! : null;
        if (!isInside && !outage && redundancyGroup === null) continue;
        edges.push({ componentId, dependsOnId: this.ids[to], kind: this.outOptional[i] === 1 ? 'OPTIONAL' : 'REQUIRED', redundancyGroup, outsideOutage: outage });
      }
    }
    return edges;
  }

  /**
   * Per member, the earliest heartbeat deadline (`deadlines`, epoch ms) among its dependencies
   * outside `members`: they impose nothing, but still say when the member goes stale (as
   * livePictureRepository.edgesThatMatterAndOutsideDeadlines decides in SQL). Members without one are left out.
   */
  earliestOutsideDeadlines(members: readonly string[], deadlines: ReadonlyMap<string, number>): Map<string, number> {
    const inside = this.marked(members);
    const earliest = new Map<string, number>();
    for (const componentId of members) {
      const from = this.numberOf.get(componentId);
      if (from === undefined) continue;
      let first = Number.POSITIVE_INFINITY;
      for (let i = this.outStart[from]; i < this.outStart[from + 1]; i++) {
        const to = this.outTarget[i];
        if (inside[to] === 1) continue;
        const deadline = deadlines.get(this.ids[to]);
        if (deadline !== undefined && deadline < first) first = deadline;
      }
      if (first !== Number.POSITIVE_INFINITY) earliest.set(componentId, first);
    }
    return earliest;
  }

  /** A mark per component number: 1 for those of `ids` known here. */
  private marked(ids: Iterable<string>): Uint8Array {
    const mark = new Uint8Array(this.ids.length);
    for (const id of ids) {
      const n = this.numberOf.get(id);
      if (n !== undefined) mark[n] = 1;
    }
    return mark;
  }
}

/** One dependency in force, as loaded: component, depends on, kind, redundancy group. */
interface DependencyRow {
  c: string;
  d: string;
  k: EdgeFact['kind'];
  g: string | null;
}

/** Where each component's entries start (count + 1 positions) in a list grouped by the component numbers `of`. */
function startsOf(count: number, of: Int32Array): Int32Array {
  const start = new Int32Array(count + 1);
  for (const n of of) start[n + 1]++;
  for (let n = 0; n < count; n++) start[n + 1] += start[n];
  return start;
}

/** Per database (a process normally serves one; tests open several): the copy kept, and a load under way. */
interface Kept {
  copy: DependenciesInForce | null;
  loading: { version: number; promise: Promise<DependenciesInForce> } | null;
}
const keptPerDatabase = new WeakMap<object, Kept>();

/**
 * The dependencies in force as `db`'s snapshot sees them, whose count of dependency writes is
 * `version` (read by the caller in the same snapshot). The kept copy when its version matches;
 * otherwise loaded in `db`'s snapshot (one load per version, however many ask at once), and kept
 * when newer than the copy.
 */
export async function dependenciesInForce(db: EntityManager, version: number): Promise<DependenciesInForce> {
  let kept = keptPerDatabase.get(db.connection);
  if (!kept) keptPerDatabase.set(db.connection, (kept = { copy: null, loading: null }));
  if (kept.copy?.version === version) return kept.copy;
  if (kept.loading?.version === version) return kept.loading.promise;
  const promise = load(db, version);
  kept.loading = { version, promise };
  try {
    const loaded = await promise;
    if (!kept.copy || loaded.version > kept.copy.version) kept.copy = loaded;
    return loaded;
  } finally {
    if (kept.loading?.promise === promise) kept.loading = null;
  }
}

/**
 * The kept copy when it was loaded at `version`, else null: for a write's transaction, which must
 * not hold its locks for seconds while the copy reloads (it walks in SQL instead; the next what-if
 * reloads the copy).
 */
export function keptDependenciesInForce(db: EntityManager, version: number): DependenciesInForce | null {
  const copy = keptPerDatabase.get(db.connection)?.copy;
  return copy?.version === version ? copy : null;
}

async function load(db: EntityManager, version: number): Promise<DependenciesInForce> {
  const rows: DependencyRow[] = await db.query(
    `SELECT component_id AS c, depends_on_id AS d, kind AS k, redundancy_group AS g FROM dependency WHERE removed_at IS NULL`,
  );
  return new DependenciesInForce(version, rows);
}

/** Loads the copy now (at start), so the first what-if does not wait for it; returns how many dependencies it holds. */
export async function loadDependenciesInForce(db: EntityManager): Promise<number> {
  return db.transaction('REPEATABLE READ', async (tx) => {
    const [{ version }]: { version: string }[] = await tx.query(`SELECT dependency_changes AS version FROM live_picture_state`);
    return (await dependenciesInForce(tx, Number(version))).size;
  });
}
