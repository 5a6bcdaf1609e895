// Where the checkout is, from wherever this module runs: vm/*.ts under vitest, build/vm/*.js
// once built (npm run build:vm).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The podproof checkout holding this module: the first folder up whose package.json is podproof's. */
export function checkoutDir(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'podproof')
      return dir;
    if (dirname(dir) === dir) throw new Error(`no podproof checkout above ${from}`);
  }
}
