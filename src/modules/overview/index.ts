export { overviewResolvers } from './overview.resolvers';
export { impact, nationalOverview } from './overview.service';
