// podproof used the way a user's suite uses it: catalog claims as vitest tests.
import { registerClaims } from '../src/vitest/index.js';

registerClaims(['network.loopback-only', 'pid.isolated']);
