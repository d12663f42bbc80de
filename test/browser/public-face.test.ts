/// <reference lib="dom" />
import fs from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { Browser, browserAvailable, openBrowser } from '../helpers/browser';
import { DemoServer, startDemoServer } from '../helpers/public-face';

/**
 * The public face in the machine's Chromium: what a resident on a phone sees of the 2020 weekend
 * in Lisse, live updates, the page without JavaScript, an accessibility check (axe-core), and the
 * IDE, with every request to another host blocked (and counted: there must be none).
 */
const run = browserAvailable() ? describe : describe.skip;
const COUNTER = 'Public counter (burgerzaken)';
const BEHIND = ['Centric', 'Citrix', 'Burgerzaken application', 'HLTsamen'];
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

run('the public face in Chromium', () => {
  let demo: DemoServer;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    demo = await startDemoServer();
    browser = openBrowser(demo.origin);
    context = await browser.context({ ...PHONE, locale: 'nl-NL' });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });
  afterEach(() => {
    expect(browser.offHost).toEqual([]);
  });

  const serviceRow = (page: Page, name: string) => page.locator('li.service', { has: page.locator('h3', { hasText: name }) });

  test('the 2020 weekend in Lisse: the public counter is down, and the root cause is not shown', async () => {
    const page = await context.newPage();
    await page.goto(`${demo.origin}/status/GM0553?asOf=2020-01-17T18:00`);
    await expect(page.title()).resolves.toBe('Storingen en beschikbaarheid – gemeente Lisse');
    const counter = serviceRow(page, COUNTER);
    await expect(counter.locator('.service-status strong').textContent()).resolves.toBe('Werkt niet');
    await expect(counter.getAttribute('data-status')).resolves.toBe('MAJOR_OUTAGE');
    // Colour repeats the words: the row is red-bordered, and says it in words above.
    const border = await counter.evaluate((element) => getComputedStyle(element).borderLeftColor);
    expect(border).toBe('rgb(160, 22, 22)');
    const text = await page.locator('body').innerText();
    expect(text).toContain('3 van de 3 diensten werken niet zoals normaal.');
    for (const name of BEHIND) expect(text).not.toContain(name);
    await page.close();
  });

  test('an open page updates itself when a report arrives', async () => {
    const page = await context.newPage();
    await page.goto(`${demo.origin}/status/GM0553`);
    const counter = serviceRow(page, COUNTER);
    await expect(counter.locator('.service-status strong').textContent()).resolves.toBe('Werkt');
    await page.locator('#live-note', { hasText: 'Deze pagina werkt zichzelf bij.' }).waitFor();
    await demo.report('Centric Citrix server', 'MAJOR_OUTAGE', 'PRECAUTIONARY_SHUTDOWN');
    await counter.locator('.service-status strong', { hasText: 'Werkt niet' }).waitFor({ timeout: 10_000 });
    await expect(page.locator('.summary').innerText()).resolves.toContain('1 van de 3 diensten werkt niet zoals normaal.');
    await expect(counter.locator('.cause').textContent()).resolves.toBe('Door een storing in een systeem waar deze dienst van afhangt.');
    for (const name of BEHIND) expect(await page.locator('body').innerText()).not.toContain(name);
    await demo.report('Centric Citrix server', 'OPERATIONAL');
    await counter.locator('.service-status strong', { hasText: /^Werkt$/ }).waitFor({ timeout: 10_000 });
    await page.close();
  });

  test('without JavaScript the page is complete', async () => {
    const noScript = await browser.context({ ...PHONE, javaScriptEnabled: false, locale: 'en-GB' });
    const page = await noScript.newPage();
    await page.goto(`${demo.origin}/status/GM0553?asOf=2020-01-17T18:00`);
    const text = await page.locator('main').innerText();
    expect(text).toContain('Are the services of the municipality of Lisse working?');
    expect(text).toContain('For residents');
    expect(text).toContain('For staff');
    await expect(serviceRow(page, COUNTER).locator('.service-status').innerText()).resolves.toContain('Not working');
    await expect(page.locator('#live-note').isHidden()).resolves.toBe(true);
    // Choosing a municipality is a plain form.
    await page.goto(`${demo.origin}/status?lang=en`);
    await page.fill('#code', 'gm0553');
    await page.click('button[type=submit]');
    await page.waitForURL(`${demo.origin}/status/GM0553?lang=en`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Are the services of the municipality of Lisse working?');
  }, 60_000);

  test('no serious or critical accessibility violation (axe-core)', async () => {
    // axe is injected from its npm package; the pages' CSP allows only their own scripts.
    const axeContext = await browser.context({ ...PHONE, bypassCSP: true });
    const axe = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    const addresses = [
      '/status/GM0553?asOf=2020-01-17T18:00', '/status/GM0553?lang=en', '/status/GM0855', '/status', '/status?code=Lisse', '/',
    ];
    // The check itself must be able to fail: a page with an image without text and an unlabelled field.
    const control = await axeContext.newPage();
    await control.setContent('<!doctype html><html><body><img src="data:image/png;base64,iVBORw0KGgo="><input></body></html>');
    await control.addScriptTag({ content: axe });
    const caught = await control.evaluate(async () => (await (window as any).axe.run(document)).violations.map((v: any) => v.id));
    expect(caught).toEqual(expect.arrayContaining(['image-alt', 'label']));
    await control.close();
    const found: string[] = [];
    for (const address of addresses) {
      for (const scheme of ['light', 'dark'] as const) {
        const page = await axeContext.newPage();
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(`${demo.origin}${address}`);
        await page.addScriptTag({ content: axe });
        const violations = await page.evaluate(async () => {
          const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
          return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
        });
        for (const v of violations as { id: string; impact: string; nodes: number }[]) {
          if (v.impact === 'serious' || v.impact === 'critical') found.push(`${address} (${scheme}): ${v.id} ${v.impact} × ${v.nodes}`);
        }
        await page.close();
      }
    }
    expect(found).toEqual([]);
  }, 240_000);

  test('the IDE loads from this server alone and runs a query', async () => {
    const desktop = await browser.context({ viewport: { width: 1280, height: 900 } });
    const page = await desktop.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${demo.origin}/graphql`);
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 20_000 });
    await page.locator('.graphiql-execute-button').click();
    await page.locator('.result-window', { hasText: '"name": "Lisse"' }).waitFor({ timeout: 20_000 });
    const result = await page.locator('.result-window').innerText();
    expect(result).toContain('Public counter (burgerzaken)');
    expect(problems).toEqual([]);
  }, 60_000);
});
