/**
 * podproof's layers (docs/ARCHITECTURE.md): data flows down, results flow up. Each folder of
 * src/ imports only from the folders below it; `npm run lint` fails on any import that points up
 * (type-only imports included: a type names what a layer depends on too).
 */
const LAYERS = [
  'parse', // pure parsers: no I/O, no processes
  'exec', // the one place processes start; identities, session, evidence
  'podman', // typed wrapper over the podman CLI, labels, conmon, OCI spec
  'host', // HostProfile detection; processes, pid files, /proc scans
  'systemd', // units, transient services, the echo service, the user namespace
  'apparatus', // fixture images, sinks, local registry, gpg keys
  'probe', // the probe script, snapshots
  'experiment', // the claim shape and the verdict rule
  'claims', // one module per area: metadata, setup, two arms, pure checks
  'report', // the Report type; JSON, JUnit, Markdown, merge, diff, waivers (prove() builds a Report)
  'runner', // prove(): selection, pool, deadlines, teardown
  'vitest', // matchers and registerClaims
];

const folder = (name) => `^src/${name}/`;

module.exports = {
  forbidden: [
    ...LAYERS.map((layer, i) => ({
      name: `layer-${layer}`,
      comment: `src/${layer}/ may import only from the layers below it: ${LAYERS.slice(0, i).join(', ') || 'none'}`,
      severity: 'error',
      from: { path: folder(layer) },
      to: { path: `^src/(${LAYERS.slice(i + 1).join('|')})/|^src/(cli|index)\\.ts$` },
    })),
    {
      name: 'experiment-names-infrastructure-by-type-only',
      comment:
        'the claim shape and the verdict rule run nothing: below parse/ they import types only (the context a claim gets), and exec/errors.ts',
      severity: 'error',
      from: { path: folder('experiment') },
      to: {
        path: '^src/(exec|podman|host|systemd|apparatus|probe)/',
        pathNot: '^src/exec/errors\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'no-folder-cycles',
      comment: 'no import cycle inside src/',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'parse-is-pure',
      comment: 'parse/ does no I/O and starts no process',
      severity: 'error',
      from: { path: folder('parse') },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|child_process|net|dgram|os)$' },
    },
    {
      name: 'claims-do-no-io',
      comment:
        'a claim file reads like its article: files and processes go through exec/, host/ and apparatus/',
      severity: 'error',
      from: { path: folder('claims') },
      to: { path: '^(node:)?(fs|child_process|fs/promises)$|^execa$|node_modules/execa/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
  },
};
