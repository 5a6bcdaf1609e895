import { execa } from 'execa';
import { probeScript } from '/work/main/dist/probe/script.js';

const script = probeScript([]);
const N = Number(process.argv[2] ?? 200);
let empty = 0,
  fail = 0;
const t0 = Date.now();
for (let i = 0; i < N; i++) {
  const r = await execa(
    'podman',
    [
      '--root',
      '/root/.cache/podproof/storage',
      '--runroot',
      '/run/podproof/storage',
      '--tmpdir',
      '/run/podproof/libpod',
      'run',
      '--rm',
      '--pull=never',
      '--label',
      'io.podproof.session=flaketest',
      '--cap-drop=all',
      'localhost/podproof/busybox:8bd7729c8186d0d0',
      'sh',
      '-c',
      script,
    ],
    { reject: false },
  );
  if (r.exitCode !== 0) {
    fail++;
    console.log('fail', r.exitCode, r.stderr.slice(0, 200));
  } else if (r.stdout.trim() === '') {
    empty++;
    console.log('EMPTY', i, 'stderr:', JSON.stringify(r.stderr));
  }
}
console.log({ N, empty, fail, secs: (Date.now() - t0) / 1000 });
