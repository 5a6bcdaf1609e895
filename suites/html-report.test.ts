// The HTML report in a real browser: Debian's chromium driven by playwright-core (an explicit
// executable; no browser download). The page loads with no console error, has one cell per
// host x claim x identity, shows a refuted cell's evidence on a click, filters, and stays usable
// with 10 hosts x 56 rows.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClaimResult } from '../src/experiment/types.js';
import { formatHtml } from '../src/report/html.js';
import { nameHosts } from '../src/report/merge.js';
import type { Report } from '../src/runner/prove.js';
import { testSession } from './helpers.js';

const CHROMIUM = process.env.PODPROOF_CHROMIUM ?? '/usr/bin/chromium';
const captured = JSON.parse(
  readFileSync(new URL('../test/captured/report.json', import.meta.url), 'utf8'),
) as Report;

/** `n` hosts of `rows` rows each (the captured rows, repeated under other claim names); the first host's first row refuted. */
function fleet(n: number, rows: number): Report[] {
  const base = captured.results;
  const results = Array.from({ length: rows }, (_, i) => {
    const r = base[i % base.length] as ClaimResult;
    return i < base.length ? r : { ...r, claim: `${r.claim}-${Math.floor(i / base.length)}` };
  });
  return Array.from({ length: n }, (_, h) => ({
    ...captured,
    host: { ...captured.host, hostname: `host-${h + 1}` },
    results: results.map((r, i) =>
      h === 0 && i === 0 ? { ...r, verdict: 'refuted', reason: 'treatment: a broken host (test)' } : r,
    ),
  }));
}

// .ci/run sets PODPROOF_REQUIRE_BROWSER: there a missing chromium fails instead of skipping
describe.skipIf(!existsSync(CHROMIUM) && !process.env.PODPROOF_REQUIRE_BROWSER)(
  `the HTML report in ${CHROMIUM}`,
  () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
        ],
      });
    });
    afterAll(async () => {
      await browser?.close();
      // the page files are this file's session's: removed with it (the no-trace suite counts them)
      await testSession.teardown();
    });

    async function open(reports: Report[]) {
      const file = join(testSession.tempDir('html'), 'report.html');
      writeFileSync(file, formatHtml(nameHosts(reports), 'podproof test'));
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);
      return { page, errors };
    }

    it('loads without a console error, one cell per host x row; a click on a refuted cell shows its evidence', async () => {
      const { page, errors } = await open(fleet(2, captured.results.length));
      expect(await page.locator('td.cell').count()).toBe(2 * captured.results.length);
      await page.locator('td.cell.refuted').first().click();
      const details = page.locator('#details');
      await expect.poll(() => details.textContent()).toContain('treatment: a broken host (test)');
      expect(await details.locator('h3').allTextContents()).toEqual(
        expect.arrayContaining(['treatment', 'control']),
      );
      // filters: without proven rows, only the refuted row is left
      await page.locator('#v-proven').uncheck();
      await page.locator('#v-skipped').uncheck();
      expect(await page.locator('#grid tr[data-row]').count()).toBe(1);
      expect(errors).toEqual([]);
    });

    it('stays usable with 10 hosts x 56 rows', async () => {
      const { page, errors } = await open(fleet(10, 56));
      expect(await page.locator('td.cell').count()).toBe(560);
      await page.locator('#area').selectOption('network');
      const rows = await page.locator('#grid tr[data-row]').count();
      expect(rows).toBeGreaterThan(0);
      expect(rows).toBeLessThan(56);
      await page.locator('td.cell').last().click();
      await expect.poll(() => page.locator('#details h2').textContent()).toMatch(/on host-10: /);
      expect(errors).toEqual([]);
    });
  },
);
