// The web console in a real browser (headless Chromium) against the whole relay: ingest -> forwarder ->
// state -> gateway, which also serves the console. What a person does, step by step; the screenshots in
// docs/screenshots come from here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { WebhookTarget, eventually, freePort } from '@hookrelay/test-support';
import { ADMIN_TOKEN, GatewayRelay } from '../../services/gateway/test/support/gateway-relay.js';
import { routeYaml } from '../support/relay.js';
import { ConsoleBrowser, DESKTOP, PHONE, screenshot, signIn, skipWithoutChromium } from '../support/console-browser.js';

const run = promisify(execFile);

/** Sends a webhook with curl, as the issue asks; returns its id from ingest's 202. */
async function curl(url: string, body: string, contentType = 'application/json', extra: string[] = []): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--fail-with-body', '-X', 'POST', url, '-H', `content-type: ${contentType}`, ...extra, '--data-binary', body]);
  return (JSON.parse(stdout) as { id: string }).id;
}

const row = (page: Page, id: string) => page.locator(`li.row[data-id="${id}"]`);

describe('console: an admin watches, inspects and retries', { skip: skipWithoutChromium }, () => {
  let g: GatewayRelay;
  let shopTarget: WebhookTarget;
  let billingTarget: WebhookTarget;
  let billingDown = true;
  let browser: ConsoleBrowser;
  let page: Page;
  let orderId: string;
  let failedIds: string[] = [];

  before(async () => {
    // A fixed port, so the gateway can be restarted where the browser left it.
    g = await GatewayRelay.start({ gatewayEnv: { GATEWAY_PORT: String(await freePort()) } });
    shopTarget = await WebhookTarget.start(() => ({ status: 200, body: 'ok' }));
    billingTarget = await WebhookTarget.start(() => (billingDown ? { status: 503, body: 'billing is down for maintenance' } : { status: 200, body: 'ok' }));
    await g.route('shop', [
      { name: 'orders', url: shopTarget.url('/orders') },
      { name: 'audit', url: shopTarget.url('/audit') },
    ]);
    await g.route('billing', [{ name: 'ledger', url: billingTarget.url('/ledger') }], { delivery: { retry: 2, backoffDelay: 'PT0.2S' } });
    // A route the operator refuses (no target): Routes shows it and why.
    await g.relay.writeRoute('payments.yaml', routeYaml('payments', { targets: [] }));
    browser = await ConsoleBrowser.launch();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await shopTarget?.stop();
    await billingTarget?.stop();
    await g?.stop();
  });

  test('the gateway serves the console at / and its pages, and still answers the API as JSON', async () => {
    const home = await fetch(`${g.baseUrl}/`);
    assert.equal(home.status, 200);
    assert.match(home.headers.get('content-type') ?? '', /text\/html/);
    assert.doesNotMatch(home.headers.get('content-security-policy') ?? '', /upgrade-insecure-requests/);
    const html = await home.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'index.html loads a bundled script');
    const asset = await fetch(`${g.baseUrl}${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.doesNotMatch(await asset.text(), /https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\.[a-z]{2,}\/[\w./-]*\.(js|css|woff2?)/i, 'nothing fetched from elsewhere');
    for (const path of ['/failed', '/routes', '/inspect/0190a1b2-c3d4']) assert.equal((await fetch(`${g.baseUrl}${path}`)).status, 200, path);
    // The API paths are the API's: no token is 401 JSON, an unknown path is 404 JSON, never the console.
    const api = await fetch(`${g.baseUrl}/webhooks`);
    assert.equal(api.status, 401);
    assert.match(api.headers.get('content-type') ?? '', /json/);
    const unknown = await fetch(`${g.baseUrl}/assets/nothing.js`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers.get('content-type') ?? '', /json/);
  });

  test('sign in: a wrong token is refused, the admin token opens the live feed', async () => {
    await page.goto(g.baseUrl);
    await page.getByRole('heading', { name: 'Sign in to the console' }).waitFor();
    await screenshot(page, 'sign-in');
    await page.getByLabel('API token').fill('not-the-token-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'does not accept this token' }).waitFor();

    await signIn(page, g.baseUrl, ADMIN_TOKEN);
    await page.locator('[data-connection="live"]').waitFor();
    assert.equal(await page.locator('.who').textContent(), 'Admin');
    await eventually(() => g.gateway.feedClients() === 1, { what: 'the console to hold one feed connection', timeoutMs: 5000 });
  });

  test('a webhook sent with curl appears live, newest first', async () => {
    orderId = await curl(
      g.relay.url('/hooks/shop/orders?source=storefront'),
      JSON.stringify({ type: 'order.created', order: { id: 4211, total: '129.90', currency: 'EUR', items: [{ sku: 'TSHIRT-M', qty: 2 }] } }),
      'application/json',
      ['-H', 'x-shop-topic: orders/create', '-H', 'x-shop-delivery: 5b1e3c0a'],
    );
    await row(page, orderId).locator('[data-status="forwarded"]').waitFor();
    assert.equal(await row(page, orderId).locator('.path').textContent(), '/orders');

    // A few more, of every kind, for the list and its counts.
    await curl(g.relay.url('/hooks/shop/customers'), JSON.stringify({ type: 'customer.updated', id: 77 }));
    const textId = await curl(g.relay.url('/hooks/shop/ping'), 'ping from the storefront', 'text/plain');
    for (const path of ['/orders/paid', '/fulfillments/create', '/refunds']) {
      await curl(g.relay.url(`/hooks/shop${path}`), JSON.stringify({ type: path.slice(1).replace('/', '.'), id: 4211 }));
    }
    const binary = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
    const sent = await g.relay.post('shop', { path: '/attachments', body: binary, headers: { 'content-type': 'image/jpeg' } });
    const binaryId = ((await sent.json()) as { id: string }).id;
    await row(page, binaryId).locator('[data-status="forwarded"]').waitFor();
    await row(page, textId).waitFor();
    const ids = await page.locator('li.row').evaluateAll((items) => items.map((li) => li.getAttribute('data-id')));
    assert.equal(ids[0], binaryId, 'the newest is on top');
    assert.ok(ids.indexOf(orderId) > ids.indexOf(textId));
  });

  test('a webhook to a failing target goes to the DLQ and shows under Failed', async () => {
    failedIds = [
      await curl(g.relay.url('/hooks/billing/invoices'), JSON.stringify({ type: 'invoice.paid', invoice: 'in_1042', amount: 4900 })),
      await curl(g.relay.url('/hooks/billing/invoices'), JSON.stringify({ type: 'invoice.paid', invoice: 'in_1043', amount: 1200 })),
      await curl(g.relay.url('/hooks/billing/refunds'), JSON.stringify({ type: 'refund.created', refund: 're_311', amount: 300 })),
    ];
    for (const id of failedIds) await row(page, id).locator('[data-status="dlq"]').waitFor();
    await page.locator('[data-filter="dlq"] .chip-count').filter({ hasText: '3' }).waitFor();
    await screenshot(page, 'live');

    // Filters: by status (counts stay), by project.
    await page.locator('[data-filter="dlq"]').click();
    assert.equal(await page.locator('li.row').count(), 3);
    await page.locator('[data-filter="dlq"]').click();
    await page.getByLabel('Project').selectOption('shop');
    await row(page, orderId).waitFor();
    assert.equal(await row(page, failedIds[0]!).count(), 0, 'billing is not in the shop feed');
    await page.getByLabel('Project').selectOption('');
    await row(page, failedIds[0]!).waitFor();

    await page.getByRole('link', { name: 'Failed', exact: true }).click();
    await page.getByRole('heading', { name: 'Failed', level: 1 }).waitFor();
    for (const id of failedIds) await page.locator(`tr[data-id="${id}"][data-status="dlq"]`).waitFor();
    assert.equal(await page.locator(`tr[data-id="${orderId}"]`).count(), 0);
    await screenshot(page, 'failed');
    await page.setViewportSize(PHONE);
    const overflow = await page.locator('html').evaluate((html) => html.scrollWidth - html.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at 390 px (overflow ${overflow} px)`);
    await screenshot(page, 'failed-phone');
    await page.setViewportSize(DESKTOP);
  });

  test('a webhook shows its request line, headers, body and each attempt on a timeline', async () => {
    await page.getByRole('link', { name: 'Live', exact: true }).click();
    await row(page, orderId).locator('a').click();
    await page.locator('h1.request-line').filter({ hasText: '/orders?source=storefront' }).waitFor();
    const body = await page.locator('[data-body="json"]').textContent();
    assert.match(body ?? '', /"order": \{\n {4}"id": 4211/, 'the JSON body, pretty');
    assert.ok(await page.locator('.headers-table').getByText('x-shop-topic').isVisible());
    for (const target of ['orders', 'audit']) {
      const attempt = page.locator(`[data-target="${target}"] [data-attempt="1"]`);
      await attempt.waitFor();
      assert.match((await attempt.textContent()) ?? '', /Attempt 1.*200/);
    }
    await screenshot(page, 'webhook');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'webhook-phone');
    await page.setViewportSize(DESKTOP);

    // The failed one: three attempts, each 503, then dead-lettered.
    await page.goto(`${g.baseUrl}/inspect/${failedIds[0]}`);
    const attempts = page.locator('[data-target="ledger"] .attempt');
    await attempts.nth(2).waitFor();
    assert.equal(await attempts.count(), 3);
    assert.match((await attempts.nth(2).textContent()) ?? '', /503/);
    await page.locator('.delivery-note').filter({ hasText: 'Dead-lettered' }).waitFor();
    await screenshot(page, 'webhook-dlq');
  });

  test('after the target recovers, Retry (with a confirmation) turns it forwarded on the live feed', async () => {
    billingDown = false;
    await page.getByRole('button', { name: 'Retry' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry this webhook?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: /^Retry 1 delivery/ }).click();
    await page.locator('[data-target="ledger"]').getByText('2 earlier', { exact: false }).or(page.locator('[data-target="ledger"] .earlier')).first().waitFor();
    await page.locator('.detail-title [data-status="forwarded"]').waitFor();

    await page.getByRole('link', { name: 'Live feed' }).first().click();
    await row(page, failedIds[0]!).locator('[data-status="forwarded"]').waitFor();

    // The other one: selected under Failed, retried in bulk.
    await page.getByRole('link', { name: 'Failed', exact: true }).click();
    const second = page.locator(`tr[data-id="${failedIds[1]}"]`);
    await second.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retry selected (1)' }).click();
    await page.getByRole('dialog', { name: 'Retry 1 webhook?' }).getByRole('button', { name: 'Retry', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Retried 1 webhook' }).waitFor();
    await second.locator('[data-status="forwarded"]').waitFor();

    // The last one: everything the filter matches (billing's failures), whether loaded or not.
    await page.getByLabel('Project').selectOption('billing');
    await page.locator(`tr[data-id="${failedIds[2]}"][data-status="dlq"]`).waitFor();
    await page.getByRole('button', { name: 'Retry all matching' }).click();
    const bulk = page.getByRole('dialog', { name: 'Retry everything that matches?' });
    assert.match((await bulk.textContent()) ?? '', /failed and dead-lettered webhooks of project billing/);
    await bulk.getByRole('button', { name: 'Retry all matching' }).click();
    await page.getByRole('status').filter({ hasText: 'Retried 1 webhook of 1 matching' }).waitFor();
    await page.locator(`tr[data-id="${failedIds[2]}"] [data-status="forwarded"]`).waitFor();

    await page.getByRole('link', { name: 'Live', exact: true }).click();
    for (const id of failedIds) await row(page, id).locator('[data-status="forwarded"]').waitFor();
  });

  test('Routes: each project, Ready, its webhook URL, targets and delivery policy', async () => {
    await page.getByRole('link', { name: 'Routes', exact: true }).click();
    const billing = page.locator('[data-project="billing"]');
    await billing.waitFor();
    assert.match((await billing.locator('.ready').textContent()) ?? '', /Ready.*Reconciled/);
    assert.match((await billing.locator('.url').textContent()) ?? '', /\/hooks\/billing$/);
    assert.match((await billing.locator('.policy').textContent()) ?? '', /3, 200 ms apart/);
    assert.ok(await billing.getByRole('button', { name: 'Copy webhook URL of billing' }).isVisible());
    assert.equal(await page.locator('[data-project="shop"] .target-list li').count(), 2);
    const refused = page.locator('.refused-card').filter({ hasText: 'payments' });
    await refused.waitFor();
    assert.match((await refused.textContent()) ?? '', /Not ready.*InvalidSpec/);
    await screenshot(page, 'routes', { fullPage: true });
  });

  test('keyboard and a narrow screen: rows are reachable with the keyboard and readable at 390 px', async () => {
    await page.getByRole('link', { name: 'Live', exact: true }).click();
    await page.locator('li.row a').first().focus();
    await page.keyboard.press('ArrowDown');
    const secondLink = page.locator('li.row').nth(1).locator('a');
    assert.ok(await secondLink.evaluate((a) => a.ownerDocument.activeElement === a), 'ArrowDown moves to the next row');
    await page.keyboard.press('Enter');
    await page.locator('h1.request-line').waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'Live feed' }).waitFor();

    await page.setViewportSize(PHONE);
    const root = page.locator('html');
    await root.evaluate((html) => (html.scrollTop = 0));
    const overflow = await root.evaluate((html) => html.scrollWidth - html.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at 390 px (overflow ${overflow} px)`);
    await screenshot(page, 'live-phone');
    await page.setViewportSize(DESKTOP);
  });

  test('the list keeps its place while the reader scrolls: new webhooks wait above until asked for', async () => {
    await page.setViewportSize({ width: 1280, height: 420 });
    await page.getByRole('link', { name: 'Live', exact: true }).click();
    await page.locator('li.row').first().waitFor();
    const root = page.locator('html');
    await root.evaluate((html) => html.ownerDocument.defaultView?.scrollTo(0, html.scrollHeight));
    const scrolledTo = await root.evaluate((html) => html.ownerDocument.defaultView?.scrollY ?? 0);
    assert.ok(scrolledTo > 60, `the list scrolls at this height (${scrolledTo} px)`);
    const topBefore = await page.locator('li.row').first().getAttribute('data-id');

    const arrived = await curl(g.relay.url('/hooks/shop/orders'), JSON.stringify({ type: 'order.created', order: { id: 4213 } }));
    const showNew = page.getByRole('button', { name: '1 new webhook' });
    await showNew.waitFor();
    assert.equal(await row(page, arrived).count(), 0, 'not pushed into the list under the reader');
    assert.equal(await page.locator('li.row').first().getAttribute('data-id'), topBefore);
    assert.equal(await root.evaluate((html) => html.ownerDocument.defaultView?.scrollY ?? 0), scrolledTo, 'the reader stays where they were');

    await showNew.click();
    await row(page, arrived).waitFor();
    assert.equal(await page.locator('li.row').first().getAttribute('data-id'), arrived, 'on top once asked for');
    await page.setViewportSize(DESKTOP);
  });

  test('the feed reconnects by itself and resumes: a webhook sent while the gateway was down appears', async () => {
    await page.getByRole('link', { name: 'Live', exact: true }).click();
    await page.locator('[data-connection="live"]').waitFor();
    await g.gateway.stop();
    await page.locator('[data-connection="reconnecting"]').waitFor();
    const whileDown = await curl(g.relay.url('/hooks/shop/orders'), JSON.stringify({ type: 'order.created', order: { id: 4212 } }));
    await g.startGateway();
    await page.locator('[data-connection="live"]').waitFor({ timeout: 20_000 });
    await row(page, whileDown).locator('[data-status="forwarded"]').waitFor();
    assert.equal(await page.locator(`li.row[data-id="${whileDown}"]`).count(), 1, 'once');
  });

  test('no script error and nothing refused by the Content-Security-Policy on the way', () => {
    assert.deepEqual(browser.problems, []);
  });
});
