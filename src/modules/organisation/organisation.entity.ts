import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type OrganisationKind = 'MUNICIPALITY' | 'SHARED_SERVICE_ORGANISATION' | 'VENDOR' | 'COORDINATOR';

@Entity('organisation')
export class Organisation {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') kind!: OrganisationKind;
  @Column('text') name!: string;
  /** CBS municipality code such as GM0534; municipalities only. */
  @Column('text', { name: 'cbs_code', nullable: true }) cbsCode!: string | null;
  @Column('integer', { nullable: true }) population!: number | null;
  @Column('text', { nullable: true }) website!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/** A shared-service organisation serving a municipality, from a date until an optional date. */
@Entity('membership')
export class Membership {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'shared_service_organisation_id' }) sharedServiceOrganisationId!: string;
  @Column('uuid', { name: 'municipality_id' }) municipalityId!: string;
  /** A calendar date, `YYYY-MM-DD`. */
  @Column('date', { name: 'starts_on' }) startsOn!: string;
  @Column('date', { name: 'ends_on', nullable: true }) endsOn!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
