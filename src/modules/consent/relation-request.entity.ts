import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { DependencyKind } from '../../common/vocabulary';

export type RelationKind = 'DEPENDENCY' | 'DELIVERY' | 'MEMBERSHIP';
export type RelationRequestState = 'PENDING' | 'ACCEPTED' | 'DECLINED' | 'WITHDRAWN';

/**
 * A relation that crosses organisations, asked by one and waiting for the other's consent
 * (docs/access.md, "Consent"). While pending it is only this row: no dependency, delivery or
 * membership exists, so nobody's picture changes.
 */
@Entity('relation_request')
export class RelationRequest {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') kind!: RelationKind;
  @Column('text') state!: RelationRequestState;
  @Column('uuid', { name: 'requested_by_id' }) requestedById!: string;
  /** The organisation whose consent it needs. */
  @Column('uuid', { name: 'awaiting_id' }) awaitingId!: string;
  @Column('timestamptz', { name: 'requested_at' }) requestedAt!: Date;
  @Column('text', { nullable: true }) note!: string | null;
  /** DEPENDENCY: the dependant. DELIVERY: the service. */
  @Column('uuid', { name: 'component_id', nullable: true }) componentId!: string | null;
  @Column('uuid', { name: 'depends_on_id', nullable: true }) dependsOnId!: string | null;
  @Column('text', { name: 'dependency_kind', nullable: true }) dependencyKind!: DependencyKind | null;
  @Column('text', { name: 'redundancy_group', nullable: true }) redundancyGroup!: string | null;
  @Column('uuid', { name: 'municipality_id', nullable: true }) municipalityId!: string | null;
  @Column('uuid', { name: 'shared_service_organisation_id', nullable: true }) sharedServiceOrganisationId!: string | null;
  @Column('date', { name: 'starts_on', nullable: true }) startsOn!: string | null;
  @Column('date', { name: 'ends_on', nullable: true }) endsOn!: string | null;
  @Column('timestamptz', { name: 'decided_at', nullable: true }) decidedAt!: Date | null;
  @Column('uuid', { name: 'decided_by_id', nullable: true }) decidedById!: string | null;
  @Column('text', { name: 'decision_note', nullable: true }) decisionNote!: string | null;
  @Column('uuid', { name: 'dependency_id', nullable: true }) dependencyId!: string | null;
  @Column('uuid', { name: 'membership_id', nullable: true }) membershipId!: string | null;
}
