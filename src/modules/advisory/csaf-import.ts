import { createHash, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { AppError, badInput } from '../../errors';
import { recordAudit } from '../audit';
import { checkRecipients, recipientRepository } from '../../common/tlp-recipients';
import type { TlpLabel } from '../../common/tlp';
import { pastMoment } from '../../common/input';
import { isUniqueViolation } from '../../common/sql';
import { Advice, Advisory, AdvisoryRevision, AdvisoryVulnerability } from './advisory.entity';
import { insertStatements, lockAdvisory } from './advisory.mutations';
import { CsafAdvisory, readCsaf } from './csaf';
import { validateCsaf } from './csaf-validator';
import { compareVersions } from './versions';

export type CsafImportOutcome = 'CREATED' | 'UPDATED' | 'UNCHANGED';

/** A CSAF document of several megabytes is normal (Red Hat's); beyond this it is a mistake. */
const MAX_DOCUMENT_CHARS = 20_000_000;
const PROBLEMS_SHOWN = 5;

/** Key order and whitespace do not make another revision: the document is compared by its canonical form. */
function canonicalHash(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

/** Parsed, validated (schema and mandatory tests) and read, or BAD_USER_INPUT naming the first problems by JSON path. */
export async function checkCsafDocument(text: string): Promise<{ document: unknown; csaf: CsafAdvisory }> {
  if (text.length > MAX_DOCUMENT_CHARS) throw badInput(`A CSAF document is limited to ${MAX_DOCUMENT_CHARS} characters`, 'document');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new AppError('BAD_USER_INPUT', `The document is not JSON: ${(error as Error).message.slice(0, 200)}`, 'document', { problems: [{ path: '/', message: 'not JSON' }] });
  }
  const problems = await validateCsaf(document);
  if (problems.length > 0) {
    const shown = problems.slice(0, PROBLEMS_SHOWN);
    throw new AppError(
      'BAD_USER_INPUT',
      `The CSAF document is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${shown.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      'document',
      { problems: problems.slice(0, 20).map((p) => ({ path: p.path, message: p.message, test: p.test })) },
    );
  }
  return { document, csaf: readCsaf(document) };
}

function adviceFrom(csaf: CsafAdvisory): Advice {
  const categories = new Set(csaf.vulnerabilities.flatMap((v) => v.remediations.map((r) => r.category)));
  return !categories.has('vendor_fix') && csaf.hasMitigation ? 'MITIGATE' : 'PATCH';
}

/**
 * Imports a CSAF 2.0 document as an advisory (a coordinator's write; also `npm run csaf -- import`).
 * The document is kept exactly as received. Its identity is the publisher's namespace and tracking
 * id; its tracking version decides: the same again changes nothing, a newer one becomes the next
 * revision (in force from its current_release_date), an older one is a CONFLICT.
 */
export async function importCsafAdvisory(
  ctx: RequestContext,
  input: { document: string; tlp?: TlpLabel | null; recipientIds?: string[] | null; advice?: Advice | null },
): Promise<{ advisory: Advisory; outcome: CsafImportOutcome }> {
  ctx.scope.requireRole('Importing advisories', 'COORDINATOR');
  const { document, csaf } = await checkCsafDocument(input.document);
  if (csaf.trackingId.length > 100) throw badInput('document.tracking.id is limited to 100 characters here', 'document');
  const hash = canonicalHash(document);
  if (csaf.tlp !== null && input.tlp && input.tlp !== csaf.tlp) {
    throw badInput(`The document is labelled TLP:${csaf.tlp}; its label is the advisory's`, 'tlp');
  }
  pastMoment(csaf.currentReleaseDate, 'document.tracking.current_release_date', ctx.now);
  try {
    return await ctx.db.transaction(async (db) => {
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`csaf:${csaf.namespace}|${csaf.trackingId}`]);
      const existing = await db.findOneBy(Advisory, { csafNamespace: csaf.namespace, csafTrackingId: csaf.trackingId });
      if (!existing) return { advisory: await create(db, ctx, input, csaf, hash), outcome: 'CREATED' as const };
      const locked = await lockAdvisory(db, existing.id, 'document', existing.id);
      const order = compareVersions(csaf.version, locked.csafVersion!);
      if (order === 0) {
        const [stored] = await db.query('SELECT document_sha256 FROM advisory_revision WHERE advisory_id = $1 AND number = $2', [locked.id, locked.revision]);
        if (stored?.document_sha256 === hash) return { advisory: locked, outcome: 'UNCHANGED' as const };
        throw new AppError('CONFLICT', `Version ${csaf.version} of ${csaf.trackingId} is already imported with other content; a changed document needs a new version`, 'document');
      }
      if (order < 0) {
        throw new AppError('CONFLICT', `Version ${csaf.version} of ${csaf.trackingId} is older than the imported version ${locked.csafVersion}`, 'document');
      }
      return { advisory: await revise(db, ctx, input, csaf, hash, locked), outcome: 'UPDATED' as const };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('CONFLICT', `An advisory with reference ${csaf.trackingId} exists already (typed in, or from another publisher)`, 'document');
    }
    throw error;
  }
}

function fieldsOf(csaf: CsafAdvisory) {
  return {
    title: csaf.title.slice(0, 300),
    description: csaf.description?.slice(0, 10_000) ?? null,
    cveIds: csaf.cveIds,
    cvssScore: csaf.cvssScore,
    cvssVector: csaf.cvssVector,
    source: csaf.source,
    csafCategory: csaf.category,
    csafNamespace: csaf.namespace,
    csafTrackingId: csaf.trackingId,
    csafVersion: csaf.version,
    csafStatus: csaf.status,
    csafPublisher: csaf.publisherName,
    csafCurrentReleaseDate: csaf.currentReleaseDate,
    csafRevisionHistory: csaf.revisionHistory,
  };
}

async function create(
  db: EntityManager, ctx: RequestContext, input: { document: string; tlp?: TlpLabel | null; recipientIds?: string[] | null; advice?: Advice | null },
  csaf: CsafAdvisory, hash: string,
): Promise<Advisory> {
  const tlp = csaf.tlp ?? input.tlp ?? 'GREEN';
  const recipients = await checkRecipients(db, tlp, input.recipientIds);
  if (await db.findOneBy(Advisory, { reference: csaf.trackingId })) {
    throw new AppError('CONFLICT', `An advisory with reference ${csaf.trackingId} exists already (typed in, or from another publisher)`, 'document');
  }
  const id = randomUUID();
  await db.insert(Advisory, {
    id, reference: csaf.trackingId, ...fieldsOf(csaf), tlp, revision: 1,
    advice: input.advice ?? adviceFrom(csaf),
    publisherId: ctx.scope.actingOrganisationId,
    publishedAt: csaf.initialReleaseDate,
  });
  await storeRevision(db, ctx, id, 1, input.document, csaf, hash);
  await recipientRepository.replace(db, 'Advisory', id, recipients);
  await recordAudit(db, ctx, { operation: 'importCsafAdvisory', entityType: 'Advisory', entityId: id });
  return db.findOneByOrFail(Advisory, { id });
}

async function revise(
  db: EntityManager, ctx: RequestContext, input: { document: string; tlp?: TlpLabel | null; recipientIds?: string[] | null; advice?: Advice | null },
  csaf: CsafAdvisory, hash: string, advisory: Advisory,
): Promise<Advisory> {
  const [previous] = await db.query('SELECT max(released_at) AS at FROM advisory_revision WHERE advisory_id = $1', [advisory.id]);
  if (previous?.at && csaf.currentReleaseDate.getTime() < new Date(previous.at).getTime()) {
    throw badInput('The newer version is dated before the imported one (document.tracking.current_release_date)', 'document');
  }
  const tlp = csaf.tlp ?? input.tlp ?? advisory.tlp;
  const recipients = input.recipientIds
    ? await checkRecipients(db, tlp, input.recipientIds)
    : tlp === 'RED' ? (await recipientRepository.bySubjects(db, 'Advisory', [advisory.id])).map((r) => r.organisationId) : [];
  if (tlp === 'RED' && recipients.length === 0) throw badInput('TLP:RED needs at least one named recipient', 'recipientIds');
  const revision = advisory.revision + 1;
  await db.update(Advisory, { id: advisory.id }, {
    ...fieldsOf(csaf), tlp, revision, updatedAt: ctx.now, advice: input.advice ?? advisory.advice,
  });
  await storeRevision(db, ctx, advisory.id, revision, input.document, csaf, hash);
  await recipientRepository.replace(db, 'Advisory', advisory.id, recipients);
  await recordAudit(db, ctx, { operation: 'importCsafAdvisory', entityType: 'Advisory', entityId: advisory.id });
  return db.findOneByOrFail(Advisory, { id: advisory.id });
}

async function storeRevision(db: EntityManager, ctx: RequestContext, advisoryId: string, number: number, text: string, csaf: CsafAdvisory, hash: string): Promise<void> {
  const latest = csaf.revisionHistory.find((r) => r.number === csaf.version) ?? csaf.revisionHistory[csaf.revisionHistory.length - 1];
  await db.insert(AdvisoryRevision, {
    advisoryId, number, releasedAt: csaf.currentReleaseDate, recordedById: ctx.scope.actingOrganisationId,
    summary: latest?.summary ?? null, csafVersion: csaf.version, document: text, documentSha256: hash,
  });
  await insertStatements(db, advisoryId, number, csaf.statements.map((s, ordinal) => ({
    ordinal, status: s.status, cve: s.cve, productVendor: s.productVendor.slice(0, 100), product: s.product.slice(0, 100),
    version: s.version, versionRange: s.versionRange, versionFrom: null, versionTo: null, cpe: s.cpe, purl: s.purl,
    productRef: s.productRef, name: s.name,
  })));
  for (const v of csaf.vulnerabilities) {
    await db.insert(AdvisoryVulnerability, {
      advisoryId, revision: number, ordinal: v.ordinal, cve: v.cve, title: v.title,
      cvssScore: v.cvssScore, cvssVector: v.cvssVector, remediations: v.remediations,
    });
  }
}
