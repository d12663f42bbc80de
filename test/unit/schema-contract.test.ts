import fs from 'node:fs';
import path from 'node:path';
import { contractProblems, intendedBreakingChanges } from '../helpers/schema-contract';

/**
 * The schema is a contract (CHANGELOG.md): against the previous release's schema, every breaking
 * change must be listed as intended. (That schema.graphql matches schema/*.graphql is checked with
 * the generated types, test/unit/generated-types.test.ts.)
 */
const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

function previousRelease(): string {
  const versions = fs.readdirSync(path.join(root, 'contract'))
    .map((file) => /^(\d+)\.(\d+)\.(\d+)\.graphql$/.exec(file))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]) || Number(a[2]) - Number(b[2]) || Number(a[3]) - Number(b[3]));
  if (versions.length === 0) throw new Error('contract/ holds no released schema');
  return `contract/${versions.at(-1)![0]}`;
}

test('schema.graphql makes no breaking change against the previous release that CHANGELOG.md does not list', async () => {
  expect(await contractProblems(read(previousRelease()), read('schema.graphql'), read('CHANGELOG.md'))).toEqual([]);
}, 30_000);

describe('the check itself', () => {
  const current = read('schema.graphql');
  const withoutMunicipality = current.replace(/^  municipality\(cbsCode: String!\): Municipality\n/m, '');
  const changelog = (entries: string) => `# Changelog\n\n## Unreleased\n\n### Intended breaking changes\n\n${entries}\n### Added\n\n- x\n\n## 0.1.0\n\n- \`FIELD_REMOVED Query.old\` — long ago\n`;

  test('a removed field is caught, and listing it makes it intended', async () => {
    expect(withoutMunicipality).not.toBe(current);
    expect(await contractProblems(current, withoutMunicipality, changelog('(none)\n'))).toEqual([
      expect.stringContaining('breaking change not listed in CHANGELOG.md: FIELD_REMOVED Query.municipality'),
    ]);
    expect(await contractProblems(current, withoutMunicipality, changelog('- `FIELD_REMOVED Query.municipality` — moved\n'))).toEqual([]);
  });

  test('an addition needs no entry; an entry for a change not made is refused; released entries do not count', async () => {
    expect(await contractProblems(withoutMunicipality, current, changelog('(none)\n'))).toEqual([]);
    expect(await contractProblems(current, current, changelog('- `FIELD_REMOVED Query.municipality` — moved\n'))).toEqual([
      'listed in CHANGELOG.md but not made by the schema: FIELD_REMOVED Query.municipality',
    ]);
    expect(intendedBreakingChanges(changelog('(none)\n'))).toEqual([]);
  });
});
