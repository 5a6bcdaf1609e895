#!/usr/bin/env node
/**
 * `with-loginuid UID COMMAND [ARGS...]`: set this process's audit login UID, then run COMMAND,
 * which inherits it (fork/exec). Needs root with CAP_AUDIT_CONTROL. Exits with COMMAND's status.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const [uid, command, ...args] = process.argv.slice(2);
if (!uid || !/^\d+$/.test(uid) || !command) {
  console.error('usage: with-loginuid UID COMMAND [ARGS...]');
  process.exit(2);
}
try {
  writeFileSync('/proc/self/loginuid', uid);
} catch (err) {
  console.error(`with-loginuid: cannot set loginuid ${uid}: ${(err as Error).message}`);
  process.exit(126);
}
const result = spawnSync(command, args, { stdio: 'inherit' });
if (result.error) {
  console.error(`with-loginuid: ${command}: ${result.error.message}`);
  process.exit(127);
}
if (result.signal) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);
