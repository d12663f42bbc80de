import { CreateDomainModel1768000000000 } from './1768000000000-CreateDomainModel';
import { CreateAccessToken1768100000000 } from './1768100000000-CreateAccessToken';
import { CreateAuditEntry1768200000000 } from './1768200000000-CreateAuditEntry';
import { CreateChangeEvent1768360000000 } from './1768360000000-CreateChangeEvent';
import { CreateLivePicture1768400000000 } from './1768400000000-CreateLivePicture';
import { IndexLiveOutages1768500000000 } from './1768500000000-IndexLiveOutages';
import { CreateChangeEventHorizon1768600000000 } from './1768600000000-CreateChangeEventHorizon';
import { CountDependencyChanges1768700000000 } from './1768700000000-CountDependencyChanges';
import { CountRegisterChanges1768800000000 } from './1768800000000-CountRegisterChanges';
import { MarkLiveStatusWrites1768900000000 } from './1768900000000-MarkLiveStatusWrites';
import { OneLivePicture1769000000000 } from './1769000000000-OneLivePicture';
import { KeepComponentRevisions1769000100000 } from './1769000100000-KeepComponentRevisions';
import { ScheduleMaintenance1769000200000 } from './1769000200000-ScheduleMaintenance';
import { CreateRateLimit1769210000000 } from './1769210000000-CreateRateLimit';
import { ImportCsafAdvisories1769300000000 } from './1769300000000-ImportCsafAdvisories';
import { AskConsent1769350000000 } from './1769350000000-AskConsent';
import { CreateWebhooks1769400000000 } from './1769400000000-CreateWebhooks';
import { AnnounceMaintenanceAndExternalRefs1769450000000 } from './1769450000000-AnnounceMaintenanceAndExternalRefs';
import { IndexWebhookRedeliveries1769500000000 } from './1769500000000-IndexWebhookRedeliveries';

/** Every migration, in order. Listed explicitly so the build, the CLI and the tests run the same set. */
export const migrations = [CreateDomainModel1768000000000, CreateAccessToken1768100000000, CreateAuditEntry1768200000000, CreateChangeEvent1768360000000,
  CreateLivePicture1768400000000, IndexLiveOutages1768500000000, CreateChangeEventHorizon1768600000000,
  CountDependencyChanges1768700000000, CountRegisterChanges1768800000000, MarkLiveStatusWrites1768900000000,
  OneLivePicture1769000000000, KeepComponentRevisions1769000100000, ScheduleMaintenance1769000200000,
  CreateRateLimit1769210000000,
  ImportCsafAdvisories1769300000000,
  AskConsent1769350000000,
  CreateWebhooks1769400000000,
  AnnounceMaintenanceAndExternalRefs1769450000000,
  IndexWebhookRedeliveries1769500000000,
];
