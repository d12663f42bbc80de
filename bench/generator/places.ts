/**
 * Municipalities that anchor the dataset in reality: the scenario's four (Tilburg and the three that
 * HLTsamen serves) and the largest ones, with their real CBS codes and rounded populations. The
 * generator fills the rest of the country with invented names and unused codes.
 */
export const KNOWN_MUNICIPALITIES: readonly { cbsCode: string; name: string; population: number }[] = [
  { cbsCode: 'GM0855', name: 'Tilburg', population: 227_000 },
  { cbsCode: 'GM0534', name: 'Hillegom', population: 22_500 },
  { cbsCode: 'GM0553', name: 'Lisse', population: 23_000 },
  { cbsCode: 'GM1525', name: 'Teylingen', population: 38_000 },
  { cbsCode: 'GM0363', name: 'Amsterdam', population: 930_000 },
  { cbsCode: 'GM0599', name: 'Rotterdam', population: 670_000 },
  { cbsCode: 'GM0518', name: "'s-Gravenhage", population: 560_000 },
  { cbsCode: 'GM0344', name: 'Utrecht', population: 370_000 },
  { cbsCode: 'GM0772', name: 'Eindhoven', population: 245_000 },
  { cbsCode: 'GM0014', name: 'Groningen', population: 240_000 },
  { cbsCode: 'GM0034', name: 'Almere', population: 225_000 },
  { cbsCode: 'GM0758', name: 'Breda', population: 186_000 },
  { cbsCode: 'GM0268', name: 'Nijmegen', population: 182_000 },
  { cbsCode: 'GM0200', name: 'Apeldoorn', population: 167_000 },
  { cbsCode: 'GM0202', name: 'Arnhem', population: 167_000 },
  { cbsCode: 'GM0392', name: 'Haarlem', population: 163_000 },
  { cbsCode: 'GM0394', name: 'Haarlemmermeer', population: 160_000 },
  { cbsCode: 'GM0307', name: 'Amersfoort', population: 160_000 },
  { cbsCode: 'GM0153', name: 'Enschede', population: 160_000 },
  { cbsCode: 'GM0796', name: "'s-Hertogenbosch", population: 160_000 },
  { cbsCode: 'GM0479', name: 'Zaanstad', population: 158_000 },
  { cbsCode: 'GM0193', name: 'Zwolle', population: 132_000 },
  { cbsCode: 'GM0546', name: 'Leiden', population: 127_000 },
  { cbsCode: 'GM0637', name: 'Zoetermeer', population: 127_000 },
  { cbsCode: 'GM0080', name: 'Leeuwarden', population: 125_000 },
  { cbsCode: 'GM0935', name: 'Maastricht', population: 122_000 },
  { cbsCode: 'GM0505', name: 'Dordrecht', population: 121_000 },
  { cbsCode: 'GM0228', name: 'Ede', population: 120_000 },
];

const PREFIXES = ['', '', '', 'Oost', 'West', 'Noord', 'Zuid', 'Nieuw', 'Oud', 'Groot', 'Klein', 'Hoog', 'Laag'];
const STEMS = [
  'Beek', 'Berg', 'Bos', 'Brug', 'Dal', 'Dijk', 'Duin', 'Eik', 'Ham', 'Heuvel', 'Holt', 'Horst', 'Kamp',
  'Lind', 'Loo', 'Meer', 'Mol', 'Oever', 'Ree', 'Rijn', 'Schoten', 'Sloot', 'Stein', 'Veld', 'Wald', 'Wolde',
];
const SUFFIXES = ['dam', 'dorp', 'veen', 'hoven', 'wijk', 'huizen', 'land', 'zijl', 'heem', 'recht', 'horst', 'um', 'ingen', 'lo'];

/** An invented but Dutch-sounding place name; `n` makes it deterministic and mostly unique. */
export function inventedPlaceName(n: number): string {
  const stem = STEMS[n % STEMS.length];
  const suffix = SUFFIXES[Math.floor(n / STEMS.length) % SUFFIXES.length];
  const prefix = PREFIXES[Math.floor(n / (STEMS.length * SUFFIXES.length)) % PREFIXES.length];
  const base = `${stem}${suffix}`;
  return prefix ? `${prefix}-${base}` : base;
}

export const DUTCH_VENDORS = [
  'Centric', 'PinkRoccade Local Government', 'Visma Roxit', 'Exxellence', 'Enable-U', 'BCT',
  'Conduction', 'Shift2', 'Dimpact', 'Decos', 'Gemeentelijke Basis Systemen BV', 'Kodision',
  'Procura', 'Suite4 Systems', 'Genetics', 'Inergy', 'Circle Software', 'Open Gemeenten',
];

export const COUNTRIES = ['NL', 'BE', 'DE', 'FR', 'GB', 'US', 'CA', 'AU', 'IN', 'JP', 'BR', 'ES', 'IT', 'SE', 'PL'];

export const SERVICE_NAMES = {
  RESIDENTS: [
    'Online afspraak maken', 'Meedoenregeling aanvragen', 'BuitenBeter melding', 'Paspoort aanvragen',
    'Verhuizing doorgeven', 'Parkeervergunning', 'Afvalkalender', 'Uittreksel BRP', 'Bijzondere bijstand',
    'Omgevingsvergunning', 'WMO-aanvraag', 'Belastingaanslag inzien', 'Kwijtschelding', 'Hondenbelasting',
    'Geboorteaangifte', 'Rijbewijs aanvragen', 'Melding openbare ruimte', 'Zorgverzekering minima',
  ],
  STAFF: [
    'Thuiswerken', 'Werkmail', 'Publieksbalie', 'Zaaksysteem', 'Documentmanagement', 'Intranet',
    'Telefonie', 'Salarisadministratie', 'Financiele administratie', 'Raadsinformatie',
  ],
  BUSINESSES: ['eHerkenning-loket', 'Evenementenvergunning', 'Horecavergunning', 'Marktplaats standplaats', 'Aanbestedingen'],
} as const;

export const APPLICATION_NAMES = [
  'Burgerzaken', 'Zaaksysteem', 'DMS', 'Afsprakenplanner', 'Sociaal domein', 'Belastingen', 'GIS',
  'e-Formulieren', 'StUF-broker', 'Betaalprovider', 'Mailserver', 'Citrix StoreFront', 'Raadsinformatiesysteem',
  'Klantcontactsysteem', 'Financieel systeem', 'HR-systeem', 'Website CMS', 'Meldingen openbare ruimte',
];

export const INFRASTRUCTURE_NAMES = [
  'Databasecluster', 'Fileserver', 'DNS', 'Active Directory', 'Datacenter', 'Firewall', 'Loadbalancer',
  'Back-upserver', 'Hypervisorcluster', 'Internetverbinding', 'SAN-opslag', 'Printserver',
];

/** National building blocks that very many services depend on. */
export const NATIONAL_APPLICATIONS = [
  'DigiD', 'eHerkenning', 'MijnOverheid Berichtenbox', 'BRP-verstrekkingen', 'Haal Centraal', 'iDEAL-koppeling',
  'Digikoppeling', 'Landelijke Voorziening WOZ', 'Basisregistratie Adressen', 'Suwinet',
];
