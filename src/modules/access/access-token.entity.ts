import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from './viewer';

@Entity('access_token')
export class AccessToken {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'organisation_id' }) organisationId!: string;
  @Column('text') role!: Role;
  /** SHA-256 of the secret, hex. The secret itself is shown once and never stored. */
  @Column('text', { name: 'token_hash' }) tokenHash!: string;
  @Column('text', { nullable: true }) label!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
  @Column('uuid', { name: 'issued_by_token_id', nullable: true }) issuedByTokenId!: string | null;
}
