import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { TlpLabel } from '../../common/tlp';
import type { ProductStatus } from './matching';

export type Advice = 'PATCH' | 'MITIGATE' | 'SWITCH_OFF';

const numeric = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/**
 * A coordinator's advisory about a vulnerability (NCSC, the IBD), typed in or imported from a CSAF
 * document. The row is its current revision; earlier revisions' products stay (by `revision`).
 */
@Entity('advisory')
export class Advisory {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** The publisher's own id, e.g. an NCSC advisory id, or a CSAF document's tracking id. */
  @Column('text') reference!: string;
  @Column('text') title!: string;
  @Column('text', { nullable: true }) description!: string | null;
  @Column('uuid', { name: 'publisher_id' }) publisherId!: string;
  @Column('timestamptz', { name: 'published_at' }) publishedAt!: Date;
  @Column('text', { name: 'cve_ids', array: true }) cveIds!: string[];
  @Column('numeric', { name: 'cvss_score', nullable: true, transformer: numeric }) cvssScore!: number | null;
  @Column('text', { name: 'cvss_vector', nullable: true }) cvssVector!: string | null;
  @Column('text') advice!: Advice;
  @Column('text', { nullable: true }) source!: string | null;
  @Column('text') tlp!: TlpLabel;
  /** Ours, counted from 1: every change of what the advisory says is a revision. */
  @Column('integer') revision!: number;
  /** From this moment it no longer counts for exposure or silence; answers about earlier moments stay. */
  @Column('timestamptz', { name: 'withdrawn_at', nullable: true }) withdrawnAt!: Date | null;
  @Column('text', { name: 'withdrawal_reason', nullable: true }) withdrawalReason!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  @Column('text', { name: 'csaf_category', nullable: true }) csafCategory!: string | null;
  @Column('text', { name: 'csaf_namespace', nullable: true }) csafNamespace!: string | null;
  @Column('text', { name: 'csaf_tracking_id', nullable: true }) csafTrackingId!: string | null;
  @Column('text', { name: 'csaf_version', nullable: true }) csafVersion!: string | null;
  @Column('text', { name: 'csaf_status', nullable: true }) csafStatus!: string | null;
  @Column('text', { name: 'csaf_publisher', nullable: true }) csafPublisher!: string | null;
  @Column('timestamptz', { name: 'csaf_current_release_date', nullable: true }) csafCurrentReleaseDate!: Date | null;
  @Column('jsonb', { name: 'csaf_revision_history', nullable: true }) csafRevisionHistory!: { number: string; date: string; summary: string }[] | null;
}

/**
 * What one revision of an advisory says about a product for one vulnerability (`cve`; null: all of
 * them): affected, fixed, not affected or under investigation. Versions: an exact one, a `vers:`
 * range, or publishAdvisory's inclusive bounds (a missing bound is open).
 */
@Entity('advisory_affected_product')
export class AdvisoryAffectedProduct {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'advisory_id' }) advisoryId!: string;
  @Column('integer', { default: 1 }) revision!: number;
  @Column('integer', { default: 0 }) ordinal!: number;
  @Column('text', { default: 'KNOWN_AFFECTED' }) status!: ProductStatus;
  @Column('text', { nullable: true }) cve!: string | null;
  @Column('text', { name: 'product_vendor' }) productVendor!: string;
  @Column('text') product!: string;
  @Column('text', { nullable: true }) version!: string | null;
  @Column('text', { name: 'version_range', nullable: true }) versionRange!: string | null;
  @Column('text', { name: 'version_from', nullable: true }) versionFrom!: string | null;
  @Column('text', { name: 'version_to', nullable: true }) versionTo!: string | null;
  @Column('text', { nullable: true }) cpe!: string | null;
  @Column('text', { nullable: true }) purl!: string | null;
  /** The CSAF product_id. */
  @Column('text', { name: 'product_ref', nullable: true }) productRef!: string | null;
  /** The CSAF full product name. */
  @Column('text', { nullable: true }) name!: string | null;
  @Column({ type: 'text', name: 'vendor_key', insert: false, update: false }) vendorKey!: string;
}

@Entity('advisory_revision')
export class AdvisoryRevision {
  @PrimaryColumn('uuid', { name: 'advisory_id' }) advisoryId!: string;
  @PrimaryColumn('integer') number!: number;
  /** From when the revision is in force (a CSAF document's current_release_date). */
  @Column('timestamptz', { name: 'released_at' }) releasedAt!: Date;
  @Column('timestamptz', { name: 'recorded_at' }) recordedAt!: Date;
  @Column('uuid', { name: 'recorded_by_id' }) recordedById!: string;
  @Column('text', { nullable: true }) summary!: string | null;
  @Column('text', { name: 'csaf_version', nullable: true }) csafVersion!: string | null;
  /** The CSAF document exactly as received. */
  @Column('text', { nullable: true }) document!: string | null;
  @Column('text', { name: 'document_sha256', nullable: true }) documentSha256!: string | null;
}

export interface Remediation { category: string; details: string; url: string | null; productIds: string[] }

@Entity('advisory_vulnerability')
export class AdvisoryVulnerability {
  @PrimaryColumn('uuid', { name: 'advisory_id' }) advisoryId!: string;
  @PrimaryColumn('integer') revision!: number;
  @PrimaryColumn('integer') ordinal!: number;
  @Column('text', { nullable: true }) cve!: string | null;
  @Column('text', { nullable: true }) title!: string | null;
  @Column('numeric', { name: 'cvss_score', nullable: true, transformer: numeric }) cvssScore!: number | null;
  @Column('text', { name: 'cvss_vector', nullable: true }) cvssVector!: string | null;
  @Column('jsonb') remediations!: Remediation[];
}

export type RemediationState = 'EXPOSED' | 'MITIGATED' | 'PATCHED' | 'NOT_AFFECTED' | 'SWITCHED_OFF';

/** Append-only: the state of one gateway for one advisory, as its operator (or a coordinator) recorded it. */
@Entity('gateway_remediation')
export class GatewayRemediation {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'bigint', insert: false, update: false }) seq!: string;
  @Column('uuid', { name: 'advisory_id' }) advisoryId!: string;
  @Column('uuid', { name: 'gateway_id' }) gatewayId!: string;
  @Column('text') state!: RemediationState;
  @Column('text', { nullable: true }) note!: string | null;
  @Column('text', { nullable: true }) source!: string | null;
  @Column('timestamptz', { name: 'observed_at' }) observedAt!: Date;
  @Column('timestamptz', { name: 'recorded_at' }) recordedAt!: Date;
  @Column('uuid', { name: 'recorded_by_id' }) recordedById!: string;
  @Column('text', { name: 'reported_by', nullable: true }) reportedBy!: string | null;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey!: string | null;
}
