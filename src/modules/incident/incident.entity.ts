import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { TlpLabel } from '../../common/tlp';

export type IncidentState = 'INVESTIGATING' | 'IDENTIFIED' | 'MONITORING' | 'RESOLVED';
export type IncidentSeverity = 'MINOR' | 'MAJOR' | 'CRITICAL';
export type IncidentUpdateKind = 'UPDATE' | 'CLEARANCE' | 'ACKNOWLEDGEMENT';

@Entity('incident')
export class Incident {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') title!: string;
  @Column('text') severity!: IncidentSeverity;
  @Column('text') state!: IncidentState;
  @Column('uuid', { name: 'declared_by_id' }) declaredById!: string;
  @Column('timestamptz', { name: 'started_at' }) startedAt!: Date;
  @Column('timestamptz', { name: 'resolved_at', nullable: true }) resolvedAt!: Date | null;
  @Column('timestamptz', { name: 'expected_restoration_at', nullable: true }) expectedRestorationAt!: Date | null;
  @Column('text', { default: 'AMBER' }) tlp!: TlpLabel;
  /** Counted from 1; every updateIncident that changes something adds one. */
  @Column('integer', { default: 1 }) revision!: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/** One entry of an incident's timeline. A clearance ("green light") is an update of kind CLEARANCE; an affected municipality's word, ACKNOWLEDGEMENT. */
@Entity('incident_update')
export class IncidentUpdate {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'bigint', insert: false, update: false }) seq!: string;
  @Column('uuid', { name: 'incident_id' }) incidentId!: string;
  @Column('text') kind!: IncidentUpdateKind;
  @Column('text') state!: IncidentState;
  @Column('text') message!: string;
  @Column('timestamptz', { name: 'posted_at' }) postedAt!: Date;
  @Column('timestamptz', { name: 'recorded_at' }) recordedAt!: Date;
  @Column('uuid', { name: 'author_id' }) authorId!: string;
  @Column('text', { name: 'author_name', nullable: true }) authorName!: string | null;
  @Column('text', { nullable: true }) source!: string | null;
  @Column('text', { default: 'AMBER' }) tlp!: TlpLabel;
  /** A retry of the write with the same key (from the same author) returns this update. */
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey!: string | null;
  /** What the write asked for, to tell a retry from another write reusing its key. */
  @Column('text', { name: 'request_hash', nullable: true }) requestHash!: string | null;
}
