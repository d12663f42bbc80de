import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

import type { ReportedStatus, StatusCause } from '../../common/vocabulary';

export type { ComponentStatus, ReportedStatus, StatusCause } from '../../common/vocabulary';

/** An append-only event: what someone observed about a component, when, and from what source. */
@Entity('status_report')
export class StatusReport {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** Arrival order; the tie-break between reports observed at the same moment. bigint, so a string. */
  @Column({ type: 'bigint', insert: false, update: false }) seq!: string;
  @Column('uuid', { name: 'component_id' }) componentId!: string;
  @Column('text') status!: ReportedStatus;
  @Column('text', { nullable: true }) cause!: StatusCause | null;
  @Column('timestamptz', { name: 'observed_at' }) observedAt!: Date;
  @Column('timestamptz', { name: 'recorded_at' }) recordedAt!: Date;
  @Column('uuid', { name: 'reporter_id' }) reporterId!: string;
  @Column('text', { name: 'reported_by', nullable: true }) reportedBy!: string | null;
  @Column('text', { nullable: true }) source!: string | null;
  @Column('text', { nullable: true }) note!: string | null;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey!: string | null;
}
