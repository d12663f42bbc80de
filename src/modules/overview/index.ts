export { impact, nationalOverview } from './overview.service';
