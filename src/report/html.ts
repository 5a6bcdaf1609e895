import { writeFileSync } from 'node:fs';
import { type Evidence, formatArgv, isRelevant } from '../exec/evidence.js';
import type { ClaimResult } from '../experiment/types.js';
import type { HostReport } from './merge.js';
import { matrix } from './merge.js';

/** How much of a command's output a cell keeps (the JSON report has it all). */
const OUTPUT_CHARS = 1500;
/** Commands per arm a cell shows. */
const COMMANDS_PER_ARM = 12;

/** One command as the page shows it. */
interface PageCommand {
  argv: string;
  identity: string;
  purpose: string;
  exit: string;
  ms: number;
  stdout: string;
  stderr: string;
}

/** One claim x identity x host cell as the page shows it. */
interface PageCell {
  verdict: string;
  reason: string;
  waiver?: string;
  treatment: PageCommand[];
  control: PageCommand[];
  other: PageCommand[];
}

/** What the page embeds: hosts, rows and cells (pure data: rendered in the browser with textContent). */
export interface PageData {
  title: string;
  generatedAt: string;
  hosts: { name: string; missing?: string; about: string }[];
  rows: { key: string; claim: string; identity: string; area: string; title: string; source: string }[];
  cells: Record<string, Record<string, PageCell>>;
}

const cut = (s: string) =>
  s.length > OUTPUT_CHARS ? `${s.slice(0, OUTPUT_CHARS)}\n[... cut; the JSON report has it all]` : s;

function command(e: Evidence): PageCommand {
  return {
    argv: formatArgv(e.argv),
    identity: e.identity,
    purpose: e.purpose ?? '',
    exit: e.failure ?? (e.signal ? `killed by ${e.signal}` : `exit ${e.exitCode}`),
    ms: e.durationMs,
    stdout: cut(e.stdout ?? ''),
    stderr: cut(e.stderr ?? ''),
  };
}

/** A row's commands by arm, from their purposes (`treatment: ...`, `control: ...`) (pure). */
function byArm(r: ClaimResult): Pick<PageCell, 'treatment' | 'control' | 'other'> {
  const relevant = r.evidence.filter(isRelevant);
  const arm = (which: string) =>
    relevant
      .filter((e) => e.purpose?.startsWith(which))
      .slice(0, COMMANDS_PER_ARM)
      .map(command);
  return {
    treatment: arm('treatment'),
    control: arm('control'),
    other: relevant
      .filter((e) => !e.purpose?.startsWith('treatment') && !e.purpose?.startsWith('control'))
      .slice(0, COMMANDS_PER_ARM)
      .map(command),
  };
}

/** The data of the page (pure). */
export function pageData(hosts: readonly HostReport[], title: string, now = new Date()): PageData {
  const rows = matrix(hosts);
  const cells: PageData['cells'] = {};
  for (const { host } of hosts) cells[host] = {};
  for (const row of rows)
    for (const [host, r] of Object.entries(row.byHost)) {
      if (!r) continue;
      const at = cells[host] ?? {};
      at[`${row.claim}|${row.identity}`] = {
        verdict: r.verdict,
        reason: r.reason,
        ...(r.waiver ? { waiver: `waived until ${r.waiver.expires}: ${r.waiver.reason}` } : {}),
        ...byArm(r),
      };
      cells[host] = at;
    }
  const first = (claim: string) =>
    hosts.flatMap((h) => h.report.results).find((r) => r.claim === claim) as ClaimResult | undefined;
  return {
    title,
    generatedAt: now.toISOString(),
    hosts: hosts.map(({ host, report, missing }) => ({
      name: host,
      ...(missing ? { missing } : {}),
      about: missing
        ? `no report: ${missing}`
        : `${report.host?.os?.prettyName ?? '?'}, kernel ${report.host?.kernel ?? '?'}, podman ${report.host?.podman?.version ?? '?'}`,
    })),
    rows: rows.map((r) => ({
      key: `${r.claim}|${r.identity}`,
      claim: r.claim,
      identity: r.identity,
      area: r.claim.split('.')[0] ?? '',
      title: first(r.claim)?.title ?? '',
      source: first(r.claim)?.source ?? '',
    })),
    cells,
  };
}

/** JSON that can sit inside a <script> element: no `<` (so no `</script>`), no U+2028/9 (pure). */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}
#filters{margin:.8em 0;display:flex;gap:1.2em;flex-wrap:wrap;align-items:center}
table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th.host{writing-mode:horizontal-tb;max-width:14em}
td.cell{cursor:pointer;white-space:nowrap}
.proven{background:#d9f2d9}.refuted{background:#f7c6c6}.inconclusive{background:#fde8b0}
.skipped{background:#eee;color:#666}.error{background:#f3c2f0}.none{color:#aaa}
.waived{outline:2px dashed #888;outline-offset:-3px}
td.cell.selected{box-shadow:inset 0 0 0 3px #333}
#details{margin-top:1.5em;border-top:2px solid #333;padding-top:1em}
#details .arms{display:grid;grid-template-columns:1fr 1fr;gap:1em}
#details pre{white-space:pre-wrap;background:#f6f6f6;padding:.4em;margin:.2em 0;max-height:20em;overflow:auto}
.cmd{border:1px solid #ddd;margin:.4em 0;padding:.3em}
.muted{color:#666}
`;

const SCRIPT = `
const data = JSON.parse(document.getElementById('podproof-data').textContent);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k === 'class') e.className = v; else e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
};
const verdicts = ['proven', 'refuted', 'inconclusive', 'skipped', 'error'];
const areas = [...new Set(data.rows.map((r) => r.area))];
const shown = new Set(verdicts);
let area = '';
function commands(list) {
  if (!list.length) return el('p', { class: 'muted' }, 'none');
  const box = el('div');
  for (const c of list) {
    const div = el('div', { class: 'cmd' }, el('code', {}, '$ ' + c.argv), el('div', { class: 'muted' }, c.identity + ', ' + c.purpose + ', ' + c.exit + ', ' + c.ms + ' ms'));
    if (c.stdout) div.append(el('pre', { class: 'stdout' }, c.stdout));
    if (c.stderr) div.append(el('pre', { class: 'stderr' }, c.stderr));
    box.append(div);
  }
  return box;
}
function show(host, row, td) {
  document.querySelectorAll('td.selected').forEach((x) => x.classList.remove('selected'));
  td.classList.add('selected');
  const c = data.cells[host][row.key];
  const d = document.getElementById('details');
  d.replaceChildren(
    el('h2', {}, row.claim + ' (' + row.identity + ') on ' + host + ': ' + c.verdict),
    el('p', {}, row.title),
    el('p', { class: 'muted' }, 'source: ' + row.source),
    el('p', { class: 'reason' }, c.reason),
    ...(c.waiver ? [el('p', { class: 'waiver' }, c.waiver)] : []),
    el('div', { class: 'arms' },
      el('div', { class: 'treatment' }, el('h3', {}, 'treatment'), commands(c.treatment)),
      el('div', { class: 'control' }, el('h3', {}, 'control'), commands(c.control))),
    ...(c.other.length ? [el('h3', {}, 'setup and the rest'), commands(c.other)] : []),
  );
  d.scrollIntoView({ block: 'start' });
}
function render() {
  const table = el('table', { id: 'grid' });
  const head = el('tr', {}, el('th', {}, 'claim'), el('th', {}, 'identity'));
  for (const h of data.hosts) head.append(el('th', { class: 'host', title: h.about }, h.name + (h.missing ? ' (no report)' : '')));
  table.append(head);
  for (const row of data.rows) {
    if (area && row.area !== area) continue;
    const cellsOf = data.hosts.map((h) => data.cells[h.name][row.key]);
    if (!cellsOf.some((c) => c && shown.has(c.verdict))) continue;
    const tr = el('tr', { 'data-row': row.key }, el('td', { title: row.title }, row.claim), el('td', {}, row.identity));
    data.hosts.forEach((h, i) => {
      const c = cellsOf[i];
      if (!c) { tr.append(el('td', { class: 'none' }, h.missing ? 'no report' : '-')); return; }
      const td = el('td', { class: 'cell ' + c.verdict + (c.waiver ? ' waived' : ''), 'data-host': h.name, 'data-verdict': c.verdict, tabindex: '0' }, c.verdict + (c.waiver ? ' (waived)' : ''));
      td.addEventListener('click', () => show(h.name, row, td));
      td.addEventListener('keydown', (e) => { if (e.key === 'Enter') show(h.name, row, td); });
      tr.append(td);
    });
    table.append(tr);
  }
  document.getElementById('grid').replaceWith(table);
}
const filters = document.getElementById('filters');
for (const v of verdicts) {
  const box = el('input', { type: 'checkbox', id: 'v-' + v, checked: '' });
  box.addEventListener('change', () => { box.checked ? shown.add(v) : shown.delete(v); render(); });
  filters.append(el('label', {}, box, ' ' + v));
}
const select = el('select', { id: 'area' }, el('option', { value: '' }, 'every area'), ...areas.map((a) => el('option', { value: a }, a)));
select.addEventListener('change', () => { area = select.value; render(); });
filters.append(el('label', {}, 'area ', select));
const counts = {};
for (const h of data.hosts) for (const c of Object.values(data.cells[h.name])) counts[c.verdict] = (counts[c.verdict] || 0) + 1;
document.getElementById('summary').textContent = data.hosts.length + ' host(s), ' + data.rows.length + ' rows: ' + verdicts.filter((v) => counts[v]).map((v) => counts[v] + ' ' + v).join(', ') + '; generated ' + data.generatedAt;
render();
`;

/** One self-contained HTML page (no network): the grid, filters, and each cell's evidence (pure). */
export function formatHtml(hosts: readonly HostReport[], title = 'podproof'): string {
  const data = pageData(hosts, title);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${title.replace(/[<&]/g, '')}</title><style>${STYLE}</style></head>
<body><h1>${title.replace(/[<&]/g, '')}</h1><p id="summary"></p><div id="filters"></div>
<table id="grid"></table><div id="details"><p class="muted">Click a cell for its reason and the treatment's and control's commands.</p></div>
<script type="application/json" id="podproof-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}

/** Write {@link formatHtml} to a file. */
export function writeHtmlReport(file: string, hosts: readonly HostReport[], title?: string): void {
  writeFileSync(file, formatHtml(hosts, title));
}
