import { Kind } from 'graphql';
import type { GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * Whether the query selects one of `fields` directly below the field being resolved, looking through
 * fragments. For a resolver that can start work its children will need; a field under @skip or
 * @include counts as selected (starting work early is never wrong, only sometimes unneeded).
 */
export function selectsAnyOf(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, fields: readonly string[]): boolean {
  const visited = new Set<string>();
  const inSet = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((selection) => {
      switch (selection.kind) {
        case Kind.FIELD:
          return fields.includes(selection.name.value);
        case Kind.INLINE_FRAGMENT:
          return inSet(selection.selectionSet);
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          if (visited.has(name)) return false;
          visited.add(name);
          return inSet(info.fragments[name]?.selectionSet);
        }
      }
    });
  return info.fieldNodes.some((node) => inSet(node.selectionSet));
}
