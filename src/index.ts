/**
 * podproof: prove container isolation claims on this host with real podman experiments.
 * @packageDocumentation
 */
export { claims, findClaim, selectClaims } from './claims/catalog.js';
export { type ProveOptions, prove, type Report, UsageError } from './claims/prove.js';
export type { Claim, ClaimContext, ClaimResult, Outcome, Verdict } from './claims/types.js';
export { decide } from './claims/verdict.js';
export type { Evidence, ExecFailure } from './exec/evidence.js';
export { type Identity, type IdentityName, resolveIdentity } from './exec/identity.js';
export { type ExecOptions, exec } from './exec/run.js';
export { SESSION_LABEL, Session } from './exec/session.js';
export { BUSYBOX, CURL, FixtureError, fixtureImage, type ImageSpec, NODE } from './fixtures/images.js';
export { detectHost, type HostProfile, type IdentityProfile, resolveIdentities } from './host/profile.js';
export { Podman, PodmanNotFoundError, resolvePodmanBinary, type StorageMode } from './podman/podman.js';
export type { NetInterface } from './probe/network.js';
export { type ProbeOutcome, probe } from './probe/probe.js';
export { type ProbeSnapshot, parseSnapshot } from './probe/snapshot.js';
export { writeJsonReport } from './report/json.js';
export { formatTable } from './report/table.js';
