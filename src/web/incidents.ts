import type { GraphQLSchema } from 'graphql';
import { isListType, isNonNullType, isObjectType, getNamedType } from 'graphql';
import { html, Html } from './html';
import { formatMoment, Language, MESSAGES } from './language';

/**
 * The public updates of the incidents behind a service: the one piece of the status page that
 * waits for the core. It needs `ServiceAvailability.incidents: [Incident!]!` (incidents on the
 * service or on anything it depends on, the one behind its root cause first) and, on Incident,
 * `expectedRestorationAt`, from the TLP work that lets the public read TLP:CLEAR incidents and
 * updates only. It switches itself on when the schema has both (`publicIncidentsIn`).
 */
export const INCIDENTS_SELECTION = `incidents { id title state severity startedAt expectedRestorationAt updates { kind postedAt message } }`;

export interface PublicIncident {
  id: string;
  title: string;
  state: 'INVESTIGATING' | 'IDENTIFIED' | 'MONITORING' | 'RESOLVED';
  severity: 'MINOR' | 'MAJOR' | 'CRITICAL';
  startedAt: string;
  expectedRestorationAt: string | null;
  updates: { kind: 'UPDATE' | 'CLEARANCE'; postedAt: string; message: string }[];
}

/** True when the schema has the fields INCIDENTS_SELECTION asks for. */
export function publicIncidentsIn(schema: GraphQLSchema): boolean {
  const availability = schema.getType('ServiceAvailability');
  const incident = schema.getType('Incident');
  if (!isObjectType(availability) || !isObjectType(incident)) return false;
  const field = availability.getFields().incidents;
  if (!field || !isNonNullType(field.type) || !isListType(field.type.ofType) || getNamedType(field.type) !== incident) return false;
  return 'expectedRestorationAt' in incident.getFields();
}

const STATE: Record<Language, Record<PublicIncident['state'], string>> = {
  nl: { INVESTIGATING: 'Wordt onderzocht', IDENTIFIED: 'Oorzaak bekend', MONITORING: 'Hersteld, wordt gevolgd', RESOLVED: 'Opgelost' },
  en: { INVESTIGATING: 'Investigating', IDENTIFIED: 'Cause identified', MONITORING: 'Restored, being monitored', RESOLVED: 'Resolved' },
};
const WORDS = {
  nl: { expected: (m: string) => `Naar verwachting hersteld: ${m}.`, clearance: 'Groen licht', started: (m: string) => `Begonnen ${m}.` },
  en: { expected: (m: string) => `Expected to be restored: ${m}.`, clearance: 'Green light', started: (m: string) => `Started ${m}.` },
};

/** The incidents behind one service, each with its public updates, newest first. */
export function renderIncidents(incidents: readonly PublicIncident[], language: Language): Html {
  if (incidents.length === 0) return html``;
  const words = WORDS[language];
  return html`<details class="incidents"${incidents.some((i) => i.state !== 'RESOLVED') ? html` open` : ''}>
<summary>${MESSAGES[language].incidentsHeading} (${incidents.length})</summary>
${incidents.map((incident) => html`<section class="incident">
<h4>${incident.title} <span class="incident-state">${STATE[language][incident.state]}</span></h4>
<p class="incident-meta">${words.started(formatMoment(new Date(incident.startedAt), language))}${incident.expectedRestorationAt && incident.state !== 'RESOLVED'
    ? html` ${words.expected(formatMoment(new Date(incident.expectedRestorationAt), language))}` : ''}</p>
<ol class="updates" reversed>
${[...incident.updates].sort((a, b) => b.postedAt.localeCompare(a.postedAt)).map((update) => html`<li><time datetime="${update.postedAt}">${formatMoment(new Date(update.postedAt), language)}</time>${update.kind === 'CLEARANCE' ? html` <strong>${words.clearance}</strong>` : ''}: ${update.message}</li>
`)}</ol>
</section>
`)}</details>`;
}
