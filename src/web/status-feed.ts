import { createHash } from 'node:crypto';
import { html, Html } from './html';
import { formatMoment, Language, MESSAGES } from './language';
import type { Paths } from './layout';
import type { PublicMunicipality, PublicService } from './public-picture';

/** Entries in one feed: every service that is not working, then the latest changes, newest first. */
const MOST_ENTRIES = 50;

/** A name-based UUID (version 5 layout over SHA-1), so an entry keeps its id in every rendering. */
function urnFor(key: string): string {
  const hex = createHash('sha1').update(key).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface Entry {
  id: string;
  title: string;
  updated: string;
  summary: string;
  link: string;
}

function statusEntries(municipality: PublicMunicipality, language: Language, pageUrl: string): Entry[] {
  const words = MESSAGES[language];
  const changed = municipality.services.filter((s): s is PublicService & { since: string } => s.since !== null);
  const notWorking = changed.filter((s) => s.status !== 'OPERATIONAL');
  const working = changed.filter((s) => s.status === 'OPERATIONAL');
  const newestFirst = (a: { since: string }, b: { since: string }) => b.since.localeCompare(a.since);
  return [...notWorking.sort(newestFirst), ...working.sort(newestFirst)].slice(0, MOST_ENTRIES).map((s) => ({
    // A new status is a new entry: feed readers show each change once.
    id: urnFor(`ketenbeeld status ${municipality.cbsCode} ${s.service.id} ${s.status} ${s.since} ${language}`),
    title: words.feedChange(s.service.name, words.status[s.status]),
    updated: new Date(s.since).toISOString(),
    summary: [
      `${words.status[s.status]}, ${words.since(formatMoment(new Date(s.since), language))}.`,
      s.status !== 'OPERATIONAL' && s.cause ? words.cause[s.cause] : '',
      s.stale ? words.stale : '',
    ].filter(Boolean).join(' '),
    link: `${pageUrl}#service-${s.service.id}`,
  }));
}

/** Each public update of each incident behind the municipality's services, once. */
function incidentEntries(municipality: PublicMunicipality, language: Language, pageUrl: string): Entry[] {
  const seen = new Set<string>();
  const entries: Entry[] = [];
  for (const service of municipality.services) {
    for (const incident of service.incidents ?? []) {
      if (seen.has(incident.id)) continue;
      seen.add(incident.id);
      for (const update of incident.updates) {
        entries.push({
          id: urnFor(`ketenbeeld incident ${incident.id} ${update.postedAt} ${update.message} ${language}`),
          title: incident.title,
          updated: new Date(update.postedAt).toISOString(),
          summary: update.message,
          link: `${pageUrl}#service-${service.service.id}`,
        });
      }
    }
  }
  return entries;
}

/**
 * An Atom feed (RFC 4287) of the municipality's status changes and public incident updates, from
 * the same public picture the page shows. Absolute links: feed readers do not resolve relative ones.
 */
export function renderStatusFeed(municipality: PublicMunicipality, language: Language, paths: Paths, origin: string): Html {
  const words = MESSAGES[language];
  const pageUrl = `${origin}${paths.withQuery(paths.statusPage(municipality.cbsCode), { lang: language })}`;
  const selfUrl = `${origin}${paths.withQuery(paths.feed(municipality.cbsCode), { lang: language })}`;
  const entries = [...statusEntries(municipality, language, pageUrl), ...incidentEntries(municipality, language, pageUrl)]
    .sort((a, b) => b.updated.localeCompare(a.updated))
    .slice(0, MOST_ENTRIES * 2);
  // Derived from what the feed shows, so the feed (and its ETag) changes only when an entry does.
  const updated = entries[0]?.updated ?? new Date(0).toISOString();
  return html`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${language}">
<id>${urnFor(`ketenbeeld feed ${municipality.cbsCode} ${language}`)}</id>
<title>${words.feedTitle(municipality.name)}</title>
<updated>${updated}</updated>
<author><name>ketenbeeld</name></author>
<link rel="self" type="application/atom+xml" href="${selfUrl}"/>
<link rel="alternate" type="text/html" href="${pageUrl}"/>
${entries.map((entry) => html`<entry>
<id>${entry.id}</id>
<title>${entry.title}</title>
<updated>${entry.updated}</updated>
<link rel="alternate" type="text/html" href="${entry.link}"/>
<summary>${entry.summary}</summary>
</entry>
`)}</feed>
`;
}
