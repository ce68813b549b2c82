// The web console signed in with a project's read token: it sees that project only, everywhere, and
// offers no action that token may not take.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { WebhookTarget } from '@hookrelay/test-support';
import { GatewayRelay, projectToken } from '../../services/gateway/test/support/gateway-relay.js';
import { ConsoleBrowser, screenshot, signIn, skipWithoutChromium } from '../support/console-browser.js';

const row = (page: Page, id: string) => page.locator(`li.row[data-id="${id}"]`);

describe('console: a project token sees no other project', { skip: skipWithoutChromium }, () => {
  let g: GatewayRelay;
  let target: WebhookTarget;
  let browser: ConsoleBrowser;
  let page: Page;
  const shopIds: string[] = [];
  const billingIds: string[] = [];

  before(async () => {
    g = await GatewayRelay.start({ projectTokens: ['shop'] });
    target = await WebhookTarget.start();
    await g.route('shop', [{ name: 'orders', url: target.url('/shop') }]);
    await g.route('billing', [{ name: 'ledger', url: target.url('/billing') }]);
    // Some history before signing in, of both projects.
    shopIds.push(await g.send('shop', '{"before":true}'));
    billingIds.push(await g.send('billing', '{"before":true}'));
    await target.waitFor(2);
    browser = await ConsoleBrowser.launch();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await target?.stop();
    await g?.stop();
  });

  test('the live feed shows its project only, in history and live', async () => {
    await signIn(page, g.baseUrl, projectToken('shop'));
    assert.equal(await page.locator('.who').textContent(), 'shop · read-only');
    assert.equal(await page.getByLabel('Project').count(), 0, 'no project to choose');
    await row(page, shopIds[0]!).waitFor();

    billingIds.push(await g.send('billing', '{"live":true}'));
    shopIds.push(await g.send('shop', '{"live":true}'));
    await row(page, shopIds[1]!).locator('[data-status="forwarded"]').waitFor();
    // The billing webhook was sent first: had it been shown, it would be there by now.
    for (const id of billingIds) assert.equal(await row(page, id).count(), 0, `billing webhook ${id} is not shown`);
    assert.deepEqual(
      await page.locator('li.row').evaluateAll((items) => items.map((li) => li.getAttribute('data-id'))),
      [...shopIds].reverse(),
    );
  });

  test('a webhook page offers no retry or replay; another project\'s webhook is refused', async () => {
    await row(page, shopIds[1]!).locator('a').click();
    await page.locator('h1.request-line').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Retry' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Replay' }).count(), 0);
    assert.ok(await page.getByRole('button', { name: 'Copy as curl' }).isVisible());

    await page.goto(`${g.baseUrl}/inspect/${billingIds[0]}`);
    await page.getByRole('heading', { name: 'The webhook could not be loaded' }).waitFor();
    await page.getByText('this token sees only project shop').waitFor();
  });

  test('Failed and Routes show its project only, read-only', async () => {
    await page.goto(`${g.baseUrl}/routes`);
    await page.locator('[data-project="shop"]').waitFor();
    assert.equal(await page.locator('[data-project="billing"]').count(), 0);
    await screenshot(page, 'routes-project-token');

    await page.getByRole('link', { name: 'Failed', exact: true }).click();
    await page.getByText('Nothing failed').waitFor();
    assert.equal(await page.getByRole('button', { name: /Retry/ }).count(), 0);
  });

  test('no script error and nothing refused by the Content-Security-Policy on the way', () => {
    assert.deepEqual(browser.problems, []);
  });
});
