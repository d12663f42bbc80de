export { RelationRequest } from './relation-request.entity';
export type { RelationKind, RelationRequestState } from './relation-request.entity';
export { createConsentLoaders } from './consent.loaders';
