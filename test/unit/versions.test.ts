import { statementMatches } from '../../src/modules/advisory/matching';
import type { ProductFacts } from '../../src/modules/advisory/matching';
import { compareVersionPrefix, compareVersions, parseCpe, parsePurl, parseVersionRange, rangeContains } from '../../src/modules/advisory/versions';

const sign = (n: number) => (n < 0 ? '<' : n > 0 ? '>' : '=');

describe('compareVersions', () => {
  test.each([
    ['13.0.47.24', '13.0.47.100', '<'],
    ['13.0.47.100', '13.0.47.24', '>'],
    ['12.1-55.18', '12.1.55.18', '='],
    ['12.1 Build 55.18', '12.1-55.18', '='],
    ['12.1.55.18', '12.1.55.180', '<'],
    ['12.1.50.28', '13.0.47.22', '<'],
    ['2.0', '2.0.0', '='],
    ['2.0', '2.0.1', '<'],
    ['1.0.0-alpha', '1.0.0', '<'],
    ['1.0.0-rc1', '1.0.0-rc2', '<'],
    ['1.0.0-dev3', '1.0.0-rc1', '<'],
    ['12.2(55)SE3', '12.2(55)SE10', '<'],
    ['12.2(55)SE', '12.2(55)SE1', '<'],
    ['15.0(2)SE9', '15.0(2a)SE9', '<'],
    ['15.0(2)SE10', '15.0(2)SE10a', '<'],
    ['10', '9', '>'],
    ['V2.1', 'v2.1', '='],
  ])('%s %s', (a, b, expected) => {
    expect(sign(compareVersions(a, b))).toBe(expected);
    expect(sign(compareVersions(b, a))).toBe(expected === '<' ? '>' : expected === '>' ? '<' : '=');
  });

  test.each([
    ['13.0.47.24', '13.0', '='],
    ['13.0.47.24', '13.1', '<'],
    ['12.1-55.18', '12.1', '='],
    ['10.4.99', '10.5', '<'],
  ])('against a shorter bound: %s %s', (version, bound, expected) => {
    expect(sign(compareVersionPrefix(version, bound))).toBe(expected);
  });
});

describe('vers ranges', () => {
  test.each([
    ['vers:generic/>=13.0|<13.0.47.24', '13.0.47.22', true],
    ['vers:generic/>=13.0|<13.0.47.24', '13.0.47.24', false],
    ['vers:generic/>=13.0|<13.0.47.24', '12.1.55.18', false],
    // Several intervals and an exclusion: 12.1 up to 12.1.55.18 and 13.0 below 13.0.47.24, except one build.
    ['vers:generic/>=12.1|<=12.1-55.18|>=13.0|<13.0.47.24|!=13.0.41.20', '12.1.55.18', true],
    ['vers:generic/>=12.1|<=12.1-55.18|>=13.0|<13.0.47.24|!=13.0.41.20', '12.1.55.19', false],
    ['vers:generic/>=12.1|<=12.1-55.18|>=13.0|<13.0.47.24|!=13.0.41.20', '12.9', false],
    ['vers:generic/>=12.1|<=12.1-55.18|>=13.0|<13.0.47.24|!=13.0.41.20', '13.0.41.20', false],
    ['vers:generic/>=12.1|<=12.1-55.18|>=13.0|<13.0.47.24|!=13.0.41.20', '13.0.41.21', true],
    ['vers:generic/<10.5', '10.4.99', true],
    ['vers:generic/>=14.1', '14.1.4.42', true],
    ['vers:generic/13.0.47.24|13.0.52.24', '13.0.52.24', true],
    ['vers:generic/13.0.47.24|13.0.52.24', '13.0.52.25', false],
    ['vers:semver/*', '0.0.1', true],
    ['vers:npm/>=1.0.0|<2.0.0', '1.5.0', true],
    ['<=4.2', '4.2', true],
    ['<=4.2', '4.3', false],
    ['>=1.0 <2.0', '1.9.9', true],
    ['>= 1.0, < 2.0', '2.0', false],
  ])('%s contains %s: %s', (range, version, expected) => {
    const parsed = parseVersionRange(range);
    expect(parsed).not.toBeNull();
    expect(rangeContains(parsed!, version)).toBe(expected);
  });

  test.each(['all versions before the fix', 'vers:generic', 'vers:generic/>=', ''])('%s is not a range', (text) => {
    expect(parseVersionRange(text)).toBeNull();
  });
});

describe('CPE and purl', () => {
  test.each([
    ['cpe:2.3:a:citrix:application_delivery_controller:13.0:*:*:*:*:*:*:*', { vendor: 'citrix', product: 'application delivery controller', version: '13.0' }],
    ['cpe:2.3:h:citrix:netscaler_gateway:12.1:55.18:*:*:*:*:*:*', { vendor: 'citrix', product: 'netscaler gateway', version: '12.1-55.18' }],
    ['cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0\\-alpha:*:*:*:*:*:*:*', { vendor: 'csaf-tools', product: 'cvrf-csaf-converter', version: '1.0.0-alpha' }],
    ['cpe:2.3:a:citrix:gateway:*:*:*:*:*:*:*:*', { vendor: 'citrix', product: 'gateway', version: null }],
    ['cpe:/a:csaf-tools:cvrf-csaf-converter:1.0.0-alpha', { vendor: 'csaf-tools', product: 'cvrf-csaf-converter', version: '1.0.0-alpha' }],
  ])('%s', (cpe, expected) => {
    expect(parseCpe(cpe)).toMatchObject(expected);
  });

  test('not a CPE', () => {
    expect(parseCpe('citrix adc 13.0')).toBeNull();
    expect(parseCpe('cpe:2.3:a:*:*:1.0')).toBeNull();
  });

  test('purl', () => {
    expect(parsePurl('pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1')).toEqual({ vendor: 'org.apache.logging.log4j', product: 'log4j-core', version: '2.14.1' });
    expect(parsePurl('pkg:npm/left-pad')).toEqual({ vendor: 'npm', product: 'left-pad', version: null });
  });
});

describe('matching inventory to a product statement', () => {
  const statement = (facts: Partial<ProductFacts>): ProductFacts => ({
    productVendor: 'Citrix', product: 'ADC', status: 'KNOWN_AFFECTED', version: null, versionRange: null, versionFrom: null, versionTo: null, ...facts,
  });
  const gateway = (version: string | null, product = 'ADC', productVendor = 'Citrix') => ({ productVendor, product, version });

  test.each([
    ['an exact version, spelled otherwise', statement({ version: '12.1-55.18' }), gateway('12.1.55.18'), true],
    ['another build', statement({ version: '12.1-55.18' }), gateway('12.1.55.180'), false],
    ['a vers range', statement({ versionRange: 'vers:generic/>=13.0|<13.0.47.24' }), gateway('13.0.47.22'), true],
    ['the fixed build of a vers range', statement({ versionRange: 'vers:generic/>=13.0|<13.0.47.24' }), gateway('13.0.47.24'), false],
    ['inclusive bounds with a short upper bound', statement({ versionFrom: '10.5', versionTo: '13.0' }), gateway('13.0.47.24'), true],
    ['above the bounds', statement({ versionFrom: '10.5', versionTo: '13.0' }), gateway('13.1.4.43'), false],
    ['every version', statement({}), gateway('14.1'), true],
    ['names without case, spacing or the vendor in front', statement({ productVendor: 'citrix', product: 'Citrix ADC' }), gateway('13.0', 'adc', 'CITRIX'), true],
    ['another product', statement({}), gateway('13.0', 'Gateway'), false],
    ['another vendor', statement({}), gateway('13.0', 'ADC', 'F5'), false],
    ['no version recorded: affected', statement({ version: '13.0' }), gateway(null), true],
    ['no version recorded: never declared fixed', statement({ version: '13.0', status: 'FIXED' }), gateway(null), false],
    ['an unreadable range: affected', statement({ versionRange: 'all builds before the fix' }), gateway('13.0'), true],
    ['an unreadable range: never declared not affected', statement({ versionRange: 'all builds before the fix', status: 'KNOWN_NOT_AFFECTED' }), gateway('13.0'), false],
  ])('%s', (_what, facts, item, expected) => {
    expect(statementMatches(facts, item)).toBe(expected);
  });
});
