import DataLoader from 'dataloader';

/** A page of one parent's children: the ids in order, how many exist, whether more follow. */
export interface ChildPage {
  ids: string[];
  totalCount: number;
  hasNextPage: boolean;
}

export interface ChildPageKey<Cursor> {
  parentId: string;
  limit: number;
  after: Cursor | null;
}

/**
 * Batches "a page of children for each parent" (an organisation's components, a component's
 * history): keys that share the page size and cursor are answered by one windowed SQL statement.
 */
export function childPageLoader<Cursor>(
  loadPages: (parentIds: string[], after: Cursor | null, limit: number) => Promise<Map<string, ChildPage>>,
): DataLoader<ChildPageKey<Cursor>, ChildPage, string> {
  return new DataLoader(
    async (keys) => {
      const groups = new Map<string, ChildPageKey<Cursor>[]>();
      for (const key of keys) {
        const group = JSON.stringify([key.limit, key.after]);
        groups.set(group, [...(groups.get(group) ?? []), key]);
      }
      const answers = new Map<string, ChildPage>();
      for (const [group, members] of groups) {
        const pages = await loadPages(members.map((m) => m.parentId), members[0].after, members[0].limit);
        for (const member of members) {
          answers.set(`${group}|${member.parentId}`, pages.get(member.parentId) ?? { ids: [], totalCount: 0, hasNextPage: false });
        }
      }
      return keys.map((key) => answers.get(`${JSON.stringify([key.limit, key.after])}|${key.parentId}`)!);
    },
    { cacheKeyFn: (key) => JSON.stringify([key.parentId, key.limit, key.after]) },
  );
}

/** Turns windowed rows (parent, id, total, position) into pages of at most `limit` ids. */
export function pagesFromRows(
  rows: { parent_id: string; id: string | null; total: number | string; position: number | string | null }[],
  limit: number,
): Map<string, ChildPage> {
  const pages = new Map<string, ChildPage>();
  for (const row of rows) {
    let page = pages.get(row.parent_id);
    if (!page) {
      page = { ids: [], totalCount: Number(row.total), hasNextPage: false };
      pages.set(row.parent_id, page);
    }
    // A parent with children, none after the cursor, comes as one row without an id.
    if (row.id === null) continue;
    if (Number(row.position) <= limit) page.ids.push(row.id);
    else page.hasNextPage = true;
  }
  return pages;
}
