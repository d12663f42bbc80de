import { badInput } from '../errors';

/** The entity types a global id can name. Component and Organisation ids cover all their kinds. */
export const GLOBAL_ID_TYPES = [
  'Organisation', 'Membership', 'Component', 'Dependency', 'StatusReport',
  'Incident', 'IncidentUpdate', 'Advisory', 'AccessToken', 'GatewayRemediation', 'RelationRequest', 'MaintenanceWindow',
  'WebhookEndpoint', 'WebhookDelivery',
] as const;
export type GlobalIdType = (typeof GLOBAL_ID_TYPES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A uuid in PostgreSQL's text form (lower case). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * Relay global ids: base64url of `Type:uuid`. UUIDs keep ids from several deployments apart,
 * so their pictures can later be composed into one national graph.
 */
export function toGlobalId(type: GlobalIdType, id: string): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

export function parseGlobalId(globalId: string, field = 'id'): { type: GlobalIdType; id: string } {
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const separator = decoded.indexOf(':');
  const type = decoded.slice(0, separator) as GlobalIdType;
  const id = decoded.slice(separator + 1);
  if (separator < 0 || !GLOBAL_ID_TYPES.includes(type) || !UUID.test(id)) {
    throw badInput(`"${truncate(globalId)}" is not a ketenbeeld id`, field);
  }
  return { type, id };
}

/** Parses an id that must name an entity of `expected` type. */
export function idOf(expected: GlobalIdType, globalId: string, field = 'id'): string {
  const parsed = parseGlobalId(globalId, field);
  if (parsed.type !== expected) {
    throw badInput(`${field} must be the id of a ${expected}, but names a ${parsed.type}`, field);
  }
  return parsed.id;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
