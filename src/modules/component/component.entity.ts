import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

import type { Audience, ComponentKind, DependencyKind } from '../../common/vocabulary';

export type { Audience, ComponentKind, DependencyKind } from '../../common/vocabulary';

/** A node of the dependency graph, operated by one organisation. */
@Entity('component')
export class Component {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') kind!: ComponentKind;
  @Column('uuid', { name: 'operator_id' }) operatorId!: string;
  @Column('text') name!: string;
  @Column('text', { nullable: true }) description!: string | null;
  /** Gateways: who makes the product (Citrix), the product (ADC), the version/build (13.0.47.24). */
  @Column('text', { name: 'product_vendor', nullable: true }) productVendor!: string | null;
  @Column('text', { nullable: true }) product!: string | null;
  @Column('text', { nullable: true }) version!: string | null;
  @Column('boolean', { name: 'internet_facing', nullable: true }) internetFacing!: boolean | null;
  /** Services: who uses it. */
  @Column('text', { nullable: true }) audience!: Audience | null;
  /** How often the operator promises to report; silence beyond it makes the status stale. */
  @Column('integer', { name: 'heartbeat_seconds', nullable: true }) heartbeatSeconds!: number | null;
  /** The operator's own name for it, unique per operator (issue 17): what its integration reports by. */
  @Column('text', { name: 'external_ref', nullable: true }) externalRef!: string | null;
  /** Offered by its operator to every organisation to depend on (docs/access.md, "Consent"). */
  @Column('boolean', { default: false }) offered!: boolean;
  /** Incremented by every update; callers send the revision they read (optimistic locking). */
  @Column('integer') revision!: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
  /** From this moment the component is gone from now; it stays in history (asOf). */
  @Column('timestamptz', { name: 'retired_at', nullable: true }) retiredAt!: Date | null;
}

/** A service delivered to a municipality from `deliveredFrom` until `deliveredUntil` (open when null). */
@Entity('service_delivery')
export class ServiceDelivery {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'service_id' }) serviceId!: string;
  @Column('uuid', { name: 'municipality_id' }) municipalityId!: string;
  @Column('timestamptz', { name: 'delivered_from' }) deliveredFrom!: Date;
  @Column('timestamptz', { name: 'delivered_until', nullable: true }) deliveredUntil!: Date | null;
}

/** "componentId depends on dependsOnId". Removed edges are kept with removedAt for history. */
@Entity('dependency')
export class Dependency {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'component_id' }) componentId!: string;
  @Column('uuid', { name: 'depends_on_id' }) dependsOnId!: string;
  @Column('text') kind!: DependencyKind;
  @Column('text', { name: 'redundancy_group', nullable: true }) redundancyGroup!: string | null;
  @Column('timestamptz', { name: 'added_at' }) addedAt!: Date;
  @Column('timestamptz', { name: 'removed_at', nullable: true }) removedAt!: Date | null;
}
