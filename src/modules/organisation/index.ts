export { Organisation, Membership } from './organisation.entity';
export type { OrganisationKind } from './organisation.entity';
export { createOrganisationLoaders } from './organisation.loaders';
export type { OrganisationLoaders } from './organisation.loaders';
export { checkCbsCode, findMunicipality } from './organisation.service';
export { writeMembership } from './organisation.mutations';
