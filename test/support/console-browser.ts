// Headless Chromium (Debian's package) for the console's browser tests, driven by playwright-core.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Without Chromium the browser tests are skipped, saying why (`.ci/run` installs it). */
export const skipWithoutChromium: string | false = existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 820 };
export const PHONE = { width: 390, height: 844 };

const screenshotsDir = resolve(import.meta.dirname, '..', '..', 'docs', 'screenshots');

/** One browser profile, fresh for each test file (a temp user-data-dir, removed at close). */
export class ConsoleBrowser {
  /** Script errors and Content-Security-Policy refusals seen on any page: each is a bug in the console. */
  readonly problems: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    private readonly profileDir: string,
  ) {}

  static async launch(): Promise<ConsoleBrowser> {
    const profileDir = await mkdtemp(join(tmpdir(), 'hookrelay-chromium-'));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: DESKTOP,
      // Fixed, so the screenshots do not depend on the machine's settings.
      colorScheme: 'light',
      locale: 'en-GB',
      timezoneId: 'UTC',
      reducedMotion: 'reduce',
    });
    context.setDefaultTimeout(15_000);
    return new ConsoleBrowser(context, profileDir);
  }

  async newPage(viewport = DESKTOP): Promise<Page> {
    const page = await this.context.newPage();
    await page.setViewportSize(viewport);
    page.on('pageerror', (err) => this.problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) this.problems.push(message.text());
    });
    return page;
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    await rm(this.profileDir, { recursive: true, force: true });
  }
}

/** Saves docs/screenshots/<name>.png, the pictures the README and reviewers look at. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await mkdir(screenshotsDir, { recursive: true });
  // Let the last feed entries render, and take the pointer off whatever it last clicked (no hover state).
  await page.mouse.move(0, 0);
  await page.waitForTimeout(200);
  // Toasts from earlier steps would cover part of the page. Hidden through the element's style, because
  // the console's CSP refuses the stylesheet that screenshot({style}) would inject.
  const toasts = page.locator('.toasts');
  const hasToasts = (await toasts.count()) > 0;
  if (hasToasts) await toasts.evaluate((el) => el.style.setProperty('visibility', 'hidden'));
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: options.fullPage ?? false, animations: 'disabled', caret: 'hide' });
  if (hasToasts) await toasts.evaluate((el) => el.style.removeProperty('visibility'));
}

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Live feed' }).waitFor();
}
