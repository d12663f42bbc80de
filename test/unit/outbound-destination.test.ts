import { DestinationPolicy, DestinationRefused } from '../../src/platform/outbound-destination';

const publicName = async () => [{ address: '93.184.215.14', family: 4 }];
const strict = new DestinationPolicy({ allowHttp: false, allowedAddresses: [] }, publicName);

async function refusal(policy: DestinationPolicy, url: string): Promise<string | null> {
  try {
    await policy.check(url);
    return null;
  } catch (error) {
    if (error instanceof DestinationRefused) return error.message;
    throw error;
  }
}

test.each([
  ['https://10.0.0.1/', 'private'], ['https://172.16.5.4/', 'private'], ['https://192.168.0.10/', 'private'],
  ['https://127.0.0.1/', 'loopback'], ['https://127.1.2.3/', 'loopback'], ['https://[::1]/', 'loopback'],
  ['https://169.254.169.254/', 'link-local'], ['https://[fe80::1]/', 'link-local'], ['https://[fd12:3456::1]/', 'unique-local'],
  ['https://[::ffff:10.0.0.1]/', 'private'], ['https://[::ffff:127.0.0.1]/', 'loopback'], ['https://0.0.0.0/', 'unspecified'],
  ['https://100.64.1.1/', 'shared'], ['https://224.0.0.1/', 'multicast'],
])('%s is refused as %s', async (url, word) => {
  expect(await refusal(strict, url)).toContain(word);
});

test('public addresses and names that resolve to them pass; the check returns the address to connect to', async () => {
  expect(await strict.check('https://93.184.215.14/hook')).toMatchObject({ address: '93.184.215.14', family: 4 });
  expect(await strict.check('https://hooks.example.org/hook')).toMatchObject({ address: '93.184.215.14' });
});

test('a name with any non-public address among its answers is refused', async () => {
  const mixed = new DestinationPolicy({ allowHttp: false, allowedAddresses: [] }, async () => [{ address: '93.184.215.14', family: 4 }, { address: '10.1.1.1', family: 4 }]);
  expect(await refusal(mixed, 'https://hooks.example.org/')).toBe('hooks.example.org resolves to 10.1.1.1, a private address, which this server does not send to');
});

test('scheme, credentials and the allowed list', async () => {
  expect(await refusal(strict, 'http://93.184.215.14/')).toBe('must be an https:// URL');
  expect(await refusal(strict, 'https://user:pw@93.184.215.14/')).toBe('must not carry a user name or password');
  expect(await refusal(strict, 'ftp://93.184.215.14/')).toBe('must be an https:// URL');
  const local = new DestinationPolicy({ allowHttp: true, allowedAddresses: ['127.0.0.1', '10.20.0.0/16'] }, publicName);
  expect(await refusal(local, 'http://127.0.0.1:8080/')).toBeNull();
  expect(await refusal(local, 'http://10.20.3.4/')).toBeNull();
  expect(await refusal(local, 'http://10.21.3.4/')).toContain('private');
  expect(await refusal(local, 'http://127.0.0.2/')).toContain('loopback');
  expect(await refusal(local, 'http://[::1]/')).toContain('loopback');
});
