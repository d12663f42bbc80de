import { buildSchema } from 'graphql';
import { matchesEtag, RecentValidators } from '../../src/web/conditional';
import { html } from '../../src/web/html';
import { PublicIncident, publicIncidentsIn, renderIncidents } from '../../src/web/incidents';
import { languageOf } from '../../src/web/language';
import { parseMoment } from '../../src/web/moment';
import { createSchema } from '../../src/schema';

/** The pure rules of the public face (src/web/). */
describe('language', () => {
  test.each([
    [undefined, undefined, 'nl'],
    ['en', 'nl-NL', 'en'],
    ['nl', 'en-GB', 'nl'],
    [undefined, 'en-GB,en;q=0.9', 'en'],
    [undefined, 'nl-BE,en;q=0.5', 'nl'],
    [undefined, 'de-DE,en;q=0.8,nl;q=0.9', 'nl'],
    [undefined, 'fr,de', 'nl'],
    [undefined, 'en;q=0', 'nl'],
    ['fr', 'en', 'en'],
  ])('?lang=%s with Accept-Language %s is %s', (query, header, expected) => {
    expect(languageOf(query, header)).toBe(expected);
  });
});

describe('moments in an address', () => {
  test('a wall-clock time is Dutch time, in winter and in summer', () => {
    expect(parseMoment('2020-01-17T18:00')?.toISOString()).toBe('2020-01-17T17:00:00.000Z');
    expect(parseMoment('2020-07-01T12:30:15')?.toISOString()).toBe('2020-07-01T10:30:15.000Z');
  });
  test('an offset or Z is taken as given, also when its + arrived as a space', () => {
    expect(parseMoment('2020-01-17T18:00:00+01:00')?.toISOString()).toBe('2020-01-17T17:00:00.000Z');
    expect(parseMoment('2020-01-17T18:00:00 01:00')?.toISOString()).toBe('2020-01-17T17:00:00.000Z');
    expect(parseMoment('2020-01-17T17:00:00Z')?.toISOString()).toBe('2020-01-17T17:00:00.000Z');
  });
  test.each(['friday', '2020-13-01T10:00', '2020-02-30T10:00', '17-01-2020', ''])('%s is not a moment', (text) => {
    expect(parseMoment(text)).toBeNull();
  });
});

describe('conditional requests', () => {
  test('If-None-Match: lists, weak tags and *', () => {
    expect(matchesEtag('"a", "b"', '"b"')).toBe(true);
    expect(matchesEtag('W/"b"', '"b"')).toBe(true);
    expect(matchesEtag('*', '"b"')).toBe(true);
    expect(matchesEtag('"c"', '"b"')).toBe(false);
    expect(matchesEtag(undefined, '"b"')).toBe(false);
  });
  test('a tag given out is trusted for its max-age, per variant, until the municipality changes', () => {
    const validators = new RecentValidators(5000);
    validators.remember('GM0553', 'page nl', '"x"', 1000);
    expect(validators.freshMatch('GM0553', 'page nl', '"x"', 5999)).toBe('"x"');
    expect(validators.freshMatch('GM0553', 'page nl', '"x"', 6000)).toBeNull();
    expect(validators.freshMatch('GM0553', 'page en', '"x"', 2000)).toBeNull();
    expect(validators.freshMatch('GM0553', 'page nl', '"y"', 2000)).toBeNull();
    validators.forget('GM0553');
    expect(validators.freshMatch('GM0553', 'page nl', '"x"', 2000)).toBeNull();
  });
});

test('html escapes what it interpolates, unless it is html itself', () => {
  const name = 'Vergunningen <script>alert(1)</script> & "meldingen"';
  expect(html`<h3 title="${name}">${name}</h3>${html`<br>`}`.text)
    .toBe('<h3 title="Vergunningen &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;meldingen&quot;">Vergunningen &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;meldingen&quot;</h3><br>');
});

describe('incidents behind a service (switched on by the schema)', () => {
  const incident: PublicIncident = {
    id: 'SW5jaWRlbnQ6MQ', title: 'Balie gesloten <uit voorzorg>', state: 'IDENTIFIED', severity: 'MAJOR',
    startedAt: '2020-01-17T16:30:00.000Z', expectedRestorationAt: '2020-01-20T08:00:00.000Z',
    updates: [
      { kind: 'UPDATE', postedAt: '2020-01-17T16:30:00.000Z', message: 'De balie is dicht.' },
      { kind: 'CLEARANCE', postedAt: '2020-01-19T19:00:00.000Z', message: 'Groen licht om weer aan te zetten.' },
    ],
  };

  test('each with its state, expected restoration and updates newest first, escaped', () => {
    const text = renderIncidents([incident], 'nl').text;
    expect(text).toContain('Balie gesloten &lt;uit voorzorg&gt; <span class="incident-state">Oorzaak bekend</span>');
    expect(text).toContain('Naar verwachting hersteld: maandag 20 januari 2020 om 09:00.');
    expect(text.indexOf('Groen licht om weer aan te zetten.')).toBeLessThan(text.indexOf('De balie is dicht.'));
    expect(text).toContain('<strong>Groen licht</strong>');
    expect(text).toContain('<details class="incidents" open>');
    expect(renderIncidents([{ ...incident, state: 'RESOLVED' }], 'en').text).not.toContain('Expected to be restored');
    expect(renderIncidents([], 'nl').text).toBe('');
  });

  test('on only when the schema offers ServiceAvailability.incidents and Incident.expectedRestorationAt', () => {
    expect(publicIncidentsIn(createSchema())).toBe(true);
    const sdl = (extra: string) => `scalar DateTime type Incident { id: ID! ${extra.includes('restoration') ? 'expectedRestorationAt: DateTime' : ''} }
      type ServiceAvailability { status: String ${extra.includes('incidents') ? 'incidents: [Incident!]!' : ''} } type Query { x: Int }`;
    expect(publicIncidentsIn(buildSchema(sdl('incidents restoration')))).toBe(true);
    expect(publicIncidentsIn(buildSchema(sdl('incidents')))).toBe(false);
    expect(publicIncidentsIn(buildSchema(sdl('restoration')))).toBe(false);
  });
});
