import {
  GraphQLArgument, GraphQLField, GraphQLInputType, GraphQLNamedType, GraphQLObjectType, GraphQLSchema, getNamedType, getNullableType,
  isAbstractType, isEnumType, isInputObjectType, isInterfaceType, isListType, isNonNullType, isObjectType, isScalarType,
} from 'graphql';
import { loadConfig } from '../../src/config';
import { PUBLIC_FIELDS } from '../../src/modules/access';
import { admissionFor } from '../../src/platform/hardening';
import { createSchema } from '../../src/schema';

/**
 * The public sees exactly the fields of src/modules/access/public-reads.ts (issue 15): walking the
 * schema from its roots through the listed fields, every field of every type the public reaches is
 * asked for once. A listed one passes the gate's field rule, any other is refused as UNAUTHENTICATED
 * naming it, before anything runs. The access layer still decides row by row behind the gate.
 */
const schema: GraphQLSchema = createSchema();
const admission = admissionFor(loadConfig({ NODE_ENV: 'test' }), PUBLIC_FIELDS);

/** A literal for a required argument, good enough to pass validation. */
function literal(type: GraphQLInputType): string {
  const inner = getNullableType(type);
  if (isListType(inner)) return `[${literal(inner.ofType)}]`;
  if (isEnumType(inner)) return inner.getValues()[0].name;
  if (isInputObjectType(inner)) {
    const required = Object.values(inner.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return `{ ${required.map((f) => `${f.name}: ${literal(f.type)}`).join(', ')} }`;
  }
  if (isScalarType(inner)) {
    switch (inner.name) {
      case 'Int': return '1';
      case 'Float': return '1.5';
      case 'Boolean': return 'true';
      case 'DateTime': return '"2020-01-17T18:00:00Z"';
      case 'Date': return '"2020-01-17"';
      case '_Any': return '{ __typename: "Municipality", cbsCode: "GM0534" }';
      default: return '"GM0534"';
    }
  }
  throw new Error(`no literal for ${String(type)}`);
}

function call(field: GraphQLField<unknown, unknown>): string {
  const required = field.args.filter((a: GraphQLArgument) => isNonNullType(a.type) && a.defaultValue === undefined);
  return required.length === 0 ? field.name : `${field.name}(${required.map((a) => `${a.name}: ${literal(a.type)}`).join(', ')})`;
}

/** The selection that ends a path at a field: scalars as they are, objects with __typename. */
function leaf(type: GraphQLNamedType): string {
  return isObjectType(type) || isAbstractType(type) ? ' { __typename }' : '';
}

interface Reached { type: GraphQLObjectType | NonNullable<ReturnType<typeof getNamedType>>; wrap: (inner: string) => string; root: 'query' | 'subscription' }

/** Every object or interface type the public reaches through listed fields, with a path to it. */
function reachable(): Reached[] {
  const found = new Map<string, Reached>();
  const queue: Reached[] = [
    { type: schema.getQueryType()!, wrap: (inner) => `{ ${inner} }`, root: 'query' },
    { type: schema.getSubscriptionType()!, wrap: (inner) => `{ ${inner} }`, root: 'subscription' },
  ];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (found.has(next.type.name)) continue;
    found.set(next.type.name, next);
    const type = next.type as GraphQLObjectType;
    for (const name of PUBLIC_FIELDS[type.name] ?? []) {
      const field = type.getFields()[name];
      if (!field) continue;
      const target = getNamedType(field.type);
      if (!isObjectType(target) && !isAbstractType(target)) continue;
      const through = (inner: string) => next.wrap(`${call(field)} { ${inner} }`);
      queue.push({ type: target, wrap: through, root: next.root });
      // Behind an interface or union: each possible type in a fragment.
      if (isAbstractType(target)) {
        for (const possible of schema.getPossibleTypes(target)) {
          queue.push({ type: possible, wrap: (inner) => through(`... on ${possible.name} { ${inner} }`), root: next.root });
        }
      }
    }
  }
  return [...found.values()];
}

function refusal(query: string): string | null {
  const result = admission.admit(schema, { query, caller: 'public', transport: query.startsWith('subscription') ? 'websocket' : 'in-process' });
  if (!('refused' in result)) return null;
  const unauthenticated = result.refused.find((e) => e.extensions.code === 'UNAUTHENTICATED');
  if (unauthenticated) return unauthenticated.message;
  throw new Error(`${query}: refused for another reason: ${result.refused.map((e) => e.message).join('; ')}`);
}

test('every field the public reaches: the listed ones pass the gate, every other one is refused naming it', () => {
  const reached = reachable();
  expect(reached.map((r) => r.type.name)).toEqual(expect.arrayContaining(['Municipality', 'ServiceAvailability', 'Service', 'Incident', 'Advisory', 'StatusChange']));
  const mistakes: string[] = [];
  let asked = 0;
  for (const { type, wrap, root } of reached) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const query = `${root === 'subscription' ? 'subscription' : 'query'} ${wrap(`${call(field)}${leaf(getNamedType(field.type))}`)}`;
      // A subscription asks for one field at its root: the listed one is enough to walk its payload.
      if (root === 'subscription' && type === schema.getSubscriptionType() && field.name !== 'statusChanged') continue;
      asked += 1;
      const listed = PUBLIC_FIELDS[type.name]?.includes(field.name) ?? false;
      const refused = refusal(query);
      if (listed && refused) mistakes.push(`${type.name}.${field.name} is listed but refused: ${refused}`);
      if (!listed && !refused) mistakes.push(`${type.name}.${field.name} is not listed but passes: ${query}`);
      if (!listed && refused && !refused.startsWith(`${type.name}.${field.name} needs a token`)) mistakes.push(`${type.name}.${field.name} refused naming another field: ${refused}`);
    }
  }
  expect(mistakes).toEqual([]);
  expect(asked).toBeGreaterThan(150);
});

test('every listed field exists in the schema', () => {
  const missing = Object.entries(PUBLIC_FIELDS).flatMap(([typeName, fields]) => {
    const type = schema.getType(typeName);
    if (!type || !(isObjectType(type) || isInterfaceType(type))) return [`${typeName} (no such type)`];
    return fields.filter((name) => !(name in type.getFields())).map((name) => `${typeName}.${name}`);
  });
  expect(missing).toEqual([]);
});

test('an organisation’s token is not held to the public list', () => {
  const result = admission.admit(schema, { query: '{ municipality(cbsCode: "GM0534") { services { service { description revision heartbeatSeconds deliveredTo { name } } } } }', caller: 'organisation', transport: 'in-process' });
  expect('admitted' in result).toBe(true);
});
