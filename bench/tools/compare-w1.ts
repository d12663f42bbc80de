import { Client } from 'pg';
import { verdict, normaliseDashboard, Json } from '../harness/validate';

/** Development aid: compares two servers' W1 answers for every municipality. `node ... <urlA> <urlB> <db>` */
const QUERY = 'query Dashboard($cbs:String!){ municipality(cbsCode:$cbs){ services { service { id name } status cause since rootCause { id name } } } }';

async function ask(url: string, cbs: string): Promise<Json> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operationName: 'Dashboard', query: QUERY, variables: { cbs } }) });
  return (await response.json()) as Json;
}

async function main(): Promise<void> {
  const [a, b, db] = process.argv.slice(2);
  const client = new Client({ connectionString: db });
  await client.connect();
  const { rows } = await client.query<{ cbs_code: string }>(`SELECT cbs_code FROM organisation WHERE kind = 'MUNICIPALITY' ORDER BY cbs_code`);
  await client.end();
  let bad = 0;
  for (const { cbs_code } of rows) {
    const v = verdict(await ask(a, cbs_code), await ask(b, cbs_code), normaliseDashboard);
    if (!v.ok) {
      bad++;
      console.log(cbs_code, v.problems.join('\n  '));
    }
  }
  console.log(`${rows.length - bad} of ${rows.length} municipalities agree`);
}

void main();
