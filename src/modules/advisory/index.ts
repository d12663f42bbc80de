export { Advisory, AdvisoryAffectedProduct } from './advisory.entity';
export type { Advice } from './advisory.entity';
export { advisoryRepository } from './advisory.repository';
export { exposedGateways, listAdvisories } from './advisory.service';
export { compareVersionPrefix, compareVersions } from './versions';
export { importCsafAdvisory } from './csaf-import';
export { stopCsafValidator } from './csaf-validator';
