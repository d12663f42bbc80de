import { Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildSchema } from 'graphql';

/** `CHANGE_TYPE path`, as CHANGELOG.md lists an intended breaking change. */
export function changeKey(change: Pick<Change, 'type' | 'path'>): string {
  return `${change.type} ${change.path ?? ''}`.trim();
}

/** The breaking changes from one SDL to the next, by graphql-inspector's rules. */
export async function breakingChanges(before: string, after: string): Promise<Change[]> {
  const changes = await diff(buildSchema(before), buildSchema(after));
  return changes.filter((change) => change.criticality.level === CriticalityLevel.Breaking);
}

/** The entries under "## Unreleased" → "### Intended breaking changes": lines `- \`TYPE path\` …`. */
export function intendedBreakingChanges(changelog: string): string[] {
  const unreleased = /^## Unreleased\s*$([\s\S]*?)(?=^## )/m.exec(changelog)?.[1] ?? '';
  const section = /^### Intended breaking changes\s*$([\s\S]*?)(?=^### |$(?![\s\S]))/m.exec(unreleased)?.[1] ?? '';
  return [...section.matchAll(/^- `([A-Z_]+(?: [^`]+)?)`/gm)].map((match) => match[1]);
}

/** What is wrong with the contract: breaking changes not listed, and listed ones the schema does not make. */
export async function contractProblems(previous: string, current: string, changelog: string): Promise<string[]> {
  const breaking = await breakingChanges(previous, current);
  const intended = new Set(intendedBreakingChanges(changelog));
  const made = new Set(breaking.map(changeKey));
  return [
    ...breaking.filter((change) => !intended.has(changeKey(change)))
      .map((change) => `breaking change not listed in CHANGELOG.md: ${changeKey(change)} (${change.message})`),
    ...[...intended].filter((key) => !made.has(key)).map((key) => `listed in CHANGELOG.md but not made by the schema: ${key}`),
  ];
}
