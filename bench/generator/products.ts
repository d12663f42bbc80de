/**
 * Gateway products and the versions seen in the field. Citrix dominates, as it did in January 2020;
 * the versions marked vulnerable are the ones CVE-2019-19781 covered, and the ones the generator
 * switches off "as a precaution".
 */
export interface Product {
  vendor: string;
  product: string;
  weight: number;
  versions: readonly { version: string; vulnerable: boolean }[];
}

export const GATEWAY_PRODUCTS: readonly Product[] = [
  {
    vendor: 'Citrix', product: 'ADC', weight: 34,
    versions: [
      { version: '10.5.70.18', vulnerable: true }, { version: '11.1.63.15', vulnerable: true },
      { version: '12.0.63.13', vulnerable: true }, { version: '12.1.50.28', vulnerable: true },
      { version: '12.1.55.18', vulnerable: false }, { version: '13.0.47.24', vulnerable: true },
      { version: '13.0.52.24', vulnerable: false }, { version: '13.1.37.38', vulnerable: false },
    ],
  },
  {
    vendor: 'Citrix', product: 'Gateway', weight: 26,
    versions: [
      { version: '11.1.63.15', vulnerable: true }, { version: '12.1.50.28', vulnerable: true },
      { version: '13.0.36.27', vulnerable: true }, { version: '13.0.52.24', vulnerable: false },
    ],
  },
  {
    vendor: 'F5', product: 'BIG-IP', weight: 14,
    versions: [{ version: '15.1.0', vulnerable: false }, { version: '16.1.3', vulnerable: false }, { version: '17.1.0', vulnerable: false }],
  },
  {
    vendor: 'Pulse Secure', product: 'Connect Secure', weight: 8,
    versions: [{ version: '9.0.3', vulnerable: false }, { version: '9.1.4', vulnerable: false }],
  },
  {
    vendor: 'Fortinet', product: 'FortiGate SSL-VPN', weight: 10,
    versions: [{ version: '6.0.4', vulnerable: false }, { version: '6.2.3', vulnerable: false }, { version: '7.0.1', vulnerable: false }],
  },
  {
    vendor: 'Microsoft', product: 'RD Gateway', weight: 8,
    versions: [{ version: '2016', vulnerable: false }, { version: '2019', vulnerable: false }],
  },
];
