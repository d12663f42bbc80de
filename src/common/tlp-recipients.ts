import { EntityManager } from 'typeorm';
import { badInput, notFound } from '../errors';
import { idOf } from './global-id';
import type { TlpLabel } from './tlp';

export type LabelledSubject = 'Advisory' | 'Incident' | 'IncidentUpdate';

/**
 * RED's named recipients. Validated here so every labelled write says the same: RED needs at least
 * one recipient, other labels take none (they are not addressed to anybody in particular).
 */
export async function checkRecipients(db: EntityManager, tlp: TlpLabel, recipientIds: readonly string[] | null | undefined): Promise<string[]> {
  const ids = [...new Set((recipientIds ?? []).map((id) => idOf('Organisation', id, 'recipientIds')))];
  if (tlp !== 'RED') {
    if (ids.length > 0) throw badInput('Recipients are named only for TLP:RED', 'recipientIds');
    return [];
  }
  if (ids.length === 0) throw badInput('TLP:RED needs at least one named recipient', 'recipientIds');
  const found: { id: string }[] = await db.query('SELECT id FROM organisation WHERE id = ANY($1::uuid[])', [ids]);
  if (found.length !== ids.length) throw notFound('A recipient organisation does not exist', 'recipientIds');
  return ids;
}

export const recipientRepository = {
  async replace(db: EntityManager, subjectType: LabelledSubject, subjectId: string, organisationIds: readonly string[]): Promise<void> {
    await db.query('DELETE FROM tlp_recipient WHERE subject_type = $1 AND subject_id = $2', [subjectType, subjectId]);
    if (organisationIds.length === 0) return;
    await db.query(
      `INSERT INTO tlp_recipient (subject_type, subject_id, organisation_id) SELECT $1, $2, unnest($3::uuid[])`,
      [subjectType, subjectId, organisationIds],
    );
  },

  async bySubjects(db: EntityManager, subjectType: LabelledSubject, subjectIds: readonly string[]): Promise<{ subjectId: string; organisationId: string }[]> {
    const rows: { subject_id: string; organisation_id: string }[] = await db.query(
      `SELECT subject_id, organisation_id FROM tlp_recipient WHERE subject_type = $1 AND subject_id = ANY($2::uuid[]) ORDER BY subject_id, organisation_id`,
      [subjectType, subjectIds],
    );
    return rows.map((row) => ({ subjectId: row.subject_id, organisationId: row.organisation_id }));
  },
};
