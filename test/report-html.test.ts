// The HTML report's data and page, without a browser (suites/html-report.test.ts opens it in one).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClaimResult } from '../src/experiment/types.js';
import { formatHtml, pageData, scriptJson } from '../src/report/html.js';
import { nameHosts } from '../src/report/merge.js';
import type { Report } from '../src/runner/prove.js';

const captured = JSON.parse(
  readFileSync(new URL('./captured/report.json', import.meta.url), 'utf8'),
) as Report;

describe('the HTML report', () => {
  it("has one cell per host x claim x identity, each arm's commands apart", () => {
    const other = { ...captured, host: { ...captured.host, hostname: 'other-host' } };
    const data = pageData(nameHosts([captured, other, { file: 'gone.json', why: 'no such file' }]), 't');
    expect(data.hosts.map((h) => h.name)).toEqual([captured.host.hostname, 'other-host', 'gone']);
    expect(data.hosts[2]?.missing).toBe('no such file');
    expect(data.rows.length).toBe(captured.results.length);
    const cell = data.cells['other-host']?.[`${captured.results[0]?.claim}|${captured.results[0]?.identity}`];
    expect(cell?.verdict).toBe(captured.results[0]?.verdict);
    const withArms = captured.results.find((r) => r.evidence.some((e) => e.purpose?.startsWith('control')));
    const armed = data.cells['other-host']?.[`${withArms?.claim}|${withArms?.identity}`];
    expect(armed?.control.length).toBeGreaterThan(0);
    expect(armed?.control.every((c) => c.purpose.startsWith('control'))).toBe(true);
  });

  it('embeds its data so that no output can close the script or inject markup', () => {
    const evil = {
      ...captured,
      results: [
        {
          ...(captured.results[0] as ClaimResult),
          reason: '</script><img src=x onerror=alert(1)>\u2028',
        },
      ],
    };
    const html = formatHtml(nameHosts([evil]), 'x');
    expect(html).not.toContain('</script><img');
    expect(scriptJson('</script>')).toBe('"\\u003c/script>"');
    // self-contained: no address to fetch anything from
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).toContain("default-src 'none'");
  });
});
