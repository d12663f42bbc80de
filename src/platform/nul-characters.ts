import { BREAK, DocumentNode, visit } from 'graphql';

/**
 * PostgreSQL text cannot hold U+0000: a string containing it fails in the database (SQLSTATE 22021)
 * and the client would see a masked internal error for what is its own mistake. Every string a
 * client sends, in the variables or as a literal in the query, is therefore checked before anything
 * runs (src/platform/admission.ts), and such a request is refused as BAD_USER_INPUT.
 */
export function containsNul(variables: unknown, document: DocumentNode): boolean {
  return valueContainsNul(variables) || documentContainsNul(document);
}

/** Walks parsed JSON with a stack rather than recursion: the body limit allows very deep nesting. */
function valueContainsNul(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return true;
    } else if (Array.isArray(value)) {
      pending.push(...value);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (key.includes('\u0000')) return true;
        pending.push(inner);
      }
    }
  }
  return false;
}

function documentContainsNul(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    StringValue(node) {
      if (!node.value.includes('\u0000')) return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}
