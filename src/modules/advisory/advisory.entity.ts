import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type Advice = 'PATCH' | 'MITIGATE' | 'SWITCH_OFF';

/** A coordinator's advisory about a vulnerability (NCSC, the IBD). */
@Entity('advisory')
export class Advisory {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** The publisher's own id, e.g. an NCSC advisory id. */
  @Column('text') reference!: string;
  @Column('text') title!: string;
  @Column('text', { nullable: true }) description!: string | null;
  @Column('uuid', { name: 'publisher_id' }) publisherId!: string;
  @Column('timestamptz', { name: 'published_at' }) publishedAt!: Date;
  @Column('text', { name: 'cve_ids', array: true }) cveIds!: string[];
  @Column('numeric', {
    name: 'cvss_score',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  cvssScore!: number | null;
  @Column('text') advice!: Advice;
  @Column('text', { nullable: true }) source!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/** An inclusive product version range an advisory applies to; a missing bound is open. */
@Entity('advisory_affected_product')
export class AdvisoryAffectedProduct {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'advisory_id' }) advisoryId!: string;
  @Column('text', { name: 'product_vendor' }) productVendor!: string;
  @Column('text') product!: string;
  @Column('text', { name: 'version_from', nullable: true }) versionFrom!: string | null;
  @Column('text', { name: 'version_to', nullable: true }) versionTo!: string | null;
}
