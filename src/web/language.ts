/**
 * The public face speaks Dutch, and English to whoever asks for it (`?lang=en`, or a browser whose
 * Accept-Language prefers English to Dutch). Every word a resident reads is here, in both.
 */
export type Language = 'nl' | 'en';
export type PublicStatus = 'OPERATIONAL' | 'DEGRADED_PERFORMANCE' | 'PARTIAL_OUTAGE' | 'MAJOR_OUTAGE' | 'UNDER_MAINTENANCE' | 'UNKNOWN';
export type PublicCause = 'PRECAUTIONARY_SHUTDOWN' | 'FAILURE' | 'MAINTENANCE' | 'COMPROMISE' | 'DEPENDENCY';
export type PublicAudience = 'RESIDENTS' | 'BUSINESSES' | 'STAFF';

/** In the order a municipality's site would list them. */
export const AUDIENCES: readonly PublicAudience[] = ['RESIDENTS', 'BUSINESSES', 'STAFF'];

/** `?lang=` first; then the first of nl/en in the Accept-Language list by weight; then Dutch. */
export function languageOf(query: unknown, acceptLanguage: string | undefined): Language {
  if (query === 'en' || query === 'nl') return query;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...parameters] = part.trim().toLowerCase().split(';');
      const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { primary: tag.split('-')[0], weight: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => Number.isFinite(entry.weight) && entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  return ranked.find((entry) => entry.primary === 'nl' || entry.primary === 'en')?.primary === 'en' ? 'en' : 'nl';
}

export interface Messages {
  locale: string;
  status: Record<PublicStatus, string>;
  cause: Record<PublicCause, string>;
  audience: Record<PublicAudience, string>;
  pageTitle(municipality: string): string;
  heading(municipality: string): string;
  intro: string;
  allWell: string;
  notWell(count: number, total: number): string;
  unknown(count: number): string;
  noServices: string;
  since(moment: string): string;
  stale: string;
  asOf(moment: string): string;
  current: string;
  /** The newest change among the services shown. */
  checkedAt(moment: string): string;
  live: string;
  liveLost: string;
  feed: string;
  otherLanguage: string;
  otherLanguageName: string;
  municipalitySite: string;
  incidentsHeading: string;
  maintenanceHeading: string;
  maintenanceWhen(from: string, until: string): string;
  maintenanceAffects(services: string): string;
  about: string;
  notFoundTitle: string;
  notFound(code: string): string;
  indexTitle: string;
  indexIntro: string;
  codeLabel: string;
  codeHint: string;
  show: string;
  badCode: string;
  badMoment: string;
  badAddressTitle: string;
  unavailableTitle: string;
  unavailable: string;
  feedTitle(municipality: string): string;
  feedChange(service: string, status: string): string;
}

const DUTCH: Messages = {
  locale: 'nl-NL',
  status: {
    OPERATIONAL: 'Werkt',
    DEGRADED_PERFORMANCE: 'Werkt beperkt of traag',
    PARTIAL_OUTAGE: 'Werkt gedeeltelijk niet',
    MAJOR_OUTAGE: 'Werkt niet',
    UNDER_MAINTENANCE: 'Onderhoud',
    UNKNOWN: 'Onbekend',
  },
  cause: {
    PRECAUTIONARY_SHUTDOWN: 'Uit voorzorg uitgezet.',
    FAILURE: 'Door een storing.',
    MAINTENANCE: 'Door onderhoud.',
    COMPROMISE: 'Door een beveiligingsincident.',
    DEPENDENCY: 'Door een storing in een systeem waar deze dienst van afhangt.',
  },
  audience: { RESIDENTS: 'Voor inwoners', BUSINESSES: 'Voor ondernemers', STAFF: 'Voor medewerkers' },
  pageTitle: (m) => `Storingen en beschikbaarheid – gemeente ${m}`,
  heading: (m) => `Werken de diensten van gemeente ${m}?`,
  intro: 'Hier ziet u welke diensten van de gemeente nu werken, welke niet, en sinds wanneer.',
  allWell: 'Alle diensten werken.',
  notWell: (n, total) => (n === 1 ? `1 van de ${total} diensten werkt niet zoals normaal.` : `${n} van de ${total} diensten werken niet zoals normaal.`),
  unknown: (n) => (n === 1 ? `Van 1 dienst is de stand onbekend.` : `Van ${n} diensten is de stand onbekend.`),
  noServices: 'Voor deze gemeente zijn geen diensten bekend.',
  since: (moment) => `sinds ${moment}`,
  stale: 'Mogelijk verouderd: de beheerder heeft zich niet op tijd gemeld.',
  asOf: (moment) => `Zo stond het ervoor op ${moment}. Dit is niet de stand van nu.`,
  current: 'Bekijk de stand van nu',
  checkedAt: (moment) => `Laatste wijziging: ${moment}.`,
  live: 'Deze pagina werkt zichzelf bij.',
  liveLost: 'Geen verbinding: deze pagina werkt zichzelf nu niet bij. Laad de pagina opnieuw.',
  feed: 'Volg wijzigingen (Atom-feed)',
  otherLanguage: 'English',
  otherLanguageName: 'en',
  municipalitySite: 'Website van de gemeente',
  incidentsHeading: 'Berichten',
  maintenanceHeading: 'Gepland onderhoud',
  maintenanceWhen: (from, until) => `Van ${from} tot ${until}`,
  maintenanceAffects: (services) => `Merkbaar bij: ${services}`,
  about: 'Over deze pagina en de gegevens',
  notFoundTitle: 'Gemeente niet gevonden',
  notFound: (code) => `Er is geen gemeente met code ${code}.`,
  indexTitle: 'Storingen en beschikbaarheid per gemeente',
  indexIntro: 'Kies uw gemeente met haar CBS-gemeentecode: GM gevolgd door vier cijfers, bijvoorbeeld GM0553 voor Lisse.',
  codeLabel: 'Gemeentecode',
  codeHint: 'Bijvoorbeeld GM0553',
  show: 'Toon de stand',
  badCode: 'Een gemeentecode is GM gevolgd door vier cijfers, bijvoorbeeld GM0553.',
  badMoment: 'Dit moment begrijpen we niet. Schrijf het als 2020-01-17T18:00 (Nederlandse tijd).',
  badAddressTitle: 'Dit adres klopt niet',
  unavailableTitle: 'Tijdelijk niet beschikbaar',
  unavailable: 'Deze pagina kan nu niet worden getoond. Probeer het over een minuut opnieuw.',
  feedTitle: (m) => `Storingen en beschikbaarheid – gemeente ${m}`,
  feedChange: (service, status) => `${service}: ${status.toLowerCase()}`,
};

const ENGLISH: Messages = {
  locale: 'en-GB',
  status: {
    OPERATIONAL: 'Working',
    DEGRADED_PERFORMANCE: 'Slow or limited',
    PARTIAL_OUTAGE: 'Partly not working',
    MAJOR_OUTAGE: 'Not working',
    UNDER_MAINTENANCE: 'Maintenance',
    UNKNOWN: 'Unknown',
  },
  cause: {
    PRECAUTIONARY_SHUTDOWN: 'Switched off as a precaution.',
    FAILURE: 'Because of a failure.',
    MAINTENANCE: 'Because of maintenance.',
    COMPROMISE: 'Because of a security incident.',
    DEPENDENCY: 'Because a system this service relies on is not working.',
  },
  audience: { RESIDENTS: 'For residents', BUSINESSES: 'For businesses', STAFF: 'For staff' },
  pageTitle: (m) => `Service status – municipality of ${m}`,
  heading: (m) => `Are the services of the municipality of ${m} working?`,
  intro: 'This page shows which of the municipality’s services work now, which do not, and since when.',
  allWell: 'All services are working.',
  notWell: (n, total) => (n === 1 ? `1 of ${total} services is not working normally.` : `${n} of ${total} services are not working normally.`),
  unknown: (n) => (n === 1 ? `The state of 1 service is unknown.` : `The state of ${n} services is unknown.`),
  noServices: 'No services are known for this municipality.',
  since: (moment) => `since ${moment}`,
  stale: 'Possibly out of date: its operator has not reported in time.',
  asOf: (moment) => `This is how things stood on ${moment}. It is not the current state.`,
  current: 'See the current state',
  checkedAt: (moment) => `Last change: ${moment}.`,
  live: 'This page updates itself.',
  liveLost: 'No connection: this page does not update itself now. Reload the page.',
  feed: 'Follow changes (Atom feed)',
  otherLanguage: 'Nederlands',
  otherLanguageName: 'nl',
  municipalitySite: 'The municipality’s website',
  incidentsHeading: 'Updates',
  maintenanceHeading: 'Planned maintenance',
  maintenanceWhen: (from, until) => `From ${from} until ${until}`,
  maintenanceAffects: (services) => `Affects: ${services}`,
  about: 'About this page and its data',
  notFoundTitle: 'Municipality not found',
  notFound: (code) => `There is no municipality with code ${code}.`,
  indexTitle: 'Service status per municipality',
  indexIntro: 'Choose your municipality by its CBS code: GM followed by four digits, for example GM0553 for Lisse.',
  codeLabel: 'Municipality code',
  codeHint: 'For example GM0553',
  show: 'Show the state',
  badCode: 'A municipality code is GM followed by four digits, for example GM0553.',
  badMoment: 'We do not understand this moment. Write it as 2020-01-17T18:00 (Dutch time).',
  badAddressTitle: 'This address is not right',
  unavailableTitle: 'Temporarily unavailable',
  unavailable: 'This page cannot be shown now. Please try again in a minute.',
  feedTitle: (m) => `Service status – municipality of ${m}`,
  feedChange: (service, status) => `${service}: ${status.toLowerCase()}`,
};

export const MESSAGES: Record<Language, Messages> = { nl: DUTCH, en: ENGLISH };

/** The scenario's and the residents' clock: Dutch time, whatever the server's zone. */
export const TIME_ZONE = 'Europe/Amsterdam';

const formats = new Map<Language, Intl.DateTimeFormat>();

/** "vrijdag 17 januari 2020 om 17:30" / "Friday, 17 January 2020 at 17:30", in Dutch time. */
export function formatMoment(moment: Date, language: Language): string {
  let format = formats.get(language);
  if (!format) {
    format = new Intl.DateTimeFormat(MESSAGES[language].locale, {
      timeZone: TIME_ZONE, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit',
    });
    formats.set(language, format);
  }
  return format.format(moment);
}
