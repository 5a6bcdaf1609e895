/**
 * podproof: prove container isolation claims on this host with real podman experiments.
 * @packageDocumentation
 */

export { BUSYBOX, CURL, FixtureError, fixtureImage, type ImageSpec, NODE } from './apparatus/images.js';
export { type LocalRegistry, localRegistry } from './apparatus/registry.js';
export { type LoopbackSink, loopbackSink } from './apparatus/sink.js';
export { type SpecClaims, specClaims } from './claims/from-spec.js';
export { claims, findClaim, selectClaims } from './claims/index.js';
export {
  imageOf,
  type ProbeArm,
  type ProbeSetup,
  type ProbesArm,
  type ProbeVariant,
  probeArm,
  probesArm,
  sideOf,
  snapshotOf,
} from './claims/probe-arm.js';
export { describeEvidence, type Evidence, type ExecFailure } from './exec/evidence.js';
export { type Identity, type IdentityName, resolveIdentity } from './exec/identity.js';
export { resolveIdentities } from './exec/resolve.js';
export { type ExecOptions, exec } from './exec/run.js';
export { SESSION_LABEL, Session } from './exec/session.js';
export { ClaimDefinitionError, claimProblems, defineClaim } from './experiment/define.js';
export {
  type Arm,
  type Claim,
  type ClaimContext,
  type ClaimResult,
  isUnexplained,
  NotObserved,
  type Outcome,
  OutputNotExplained,
  type RootAccess,
  SkipClaim,
  type Unexplained,
  unexplained,
  type Verdict,
} from './experiment/types.js';
export { allHold, allOf, decide, type Observation, type Side } from './experiment/verdict.js';
export { detectHost, type HostProfile, type IdentityProfile } from './host/profile.js';
export type { CapabilitySets } from './parse/caps.js';
export {
  ContainerBuilder,
  type ContainerSpec,
  container,
  fromRunArgs,
  SpecError,
} from './parse/container-spec.js';
export type { NetInterface } from './parse/network.js';
export { type OpenPodmanOptions, openPodman, PodmanSession, type StartedContainer } from './podman/open.js';
export {
  Podman,
  PodmanNotFoundError,
  type RunContainer,
  resolvePodmanBinary,
  type StorageMode,
} from './podman/podman.js';
export { type ProbeOptions, type ProbeOutcome, probe } from './probe/probe.js';
export { type IdMapRange, type ProbeSnapshot, parseSnapshot } from './probe/snapshot.js';
export { type CallProfile, podmanCallProfile, podmanQuestion } from './report/calls.js';
export { writeJsonReport } from './report/json.js';
export { formatJunit, writeJunitReport } from './report/junit.js';
export { formatMarkdown, writeMarkdownReport } from './report/markdown.js';
export { formatTable } from './report/table.js';
export { type ProveOptions, prove, REPORT_SCHEMA_VERSION, type Report, UsageError } from './runner/prove.js';
export { loadSpecFiles, proveSpec, specsClaims } from './runner/prove-spec.js';
