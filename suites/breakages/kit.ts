/**
 * What the breakages of every area share (the mutation table's kit): a breakage's shape and the
 * helpers that build its wrapper edit. The table: broken hosts every claim must catch. Each mutant is a podman wrapper
 * (arguments dropped, replaced or added; podman handed to a daemon or to systemd) or real
 * configuration fed through CONTAINERS_CONF / CONTAINERS_STORAGE_CONF in temp files (never /etc).
 * A mutant is caught when the claim is `refuted`, or `inconclusive` where the breakage removes the
 * control's contrast (the table says which). `proven` on a broken host is a survivor.
 */

import type { Identity, IdentityName } from '../../src/exec/identity.js';
import { hostContainersConf, realPodman } from '../helpers.js';

/** What a mutant needs from the test: a running API service for daemon mutants. */
export interface MutantEnv {
  who: Identity;
  /** Start (once per identity) `podman system service` on a socket with podproof's storage; returns its socket path. */
  apiService(): Promise<string>;
  /** Root's API service (once per kind) that any local user can reach; returns its URL. */
  rootfulApiService(kind: 'unix' | 'tcp'): Promise<string>;
}

/** The bash a mutant puts into the podman wrapper (see `podmanWrapper`). */
export interface WrapperEdit {
  /** Edits the arguments of `podman run`. */
  editRun?: string;
  /** Runs first for every command (it may `exec` something else). */
  always?: string;
}

export interface Mutant {
  /** Short name, unique per claim. */
  name: string;
  claim: string;
  /** How the host is broken. */
  how: string;
  kind: 'wrapper' | 'config';
  /** Identities this breakage applies to (default: every identity of the claim). */
  identities?: readonly IdentityName[];
  wrapper(env: MutantEnv): WrapperEdit | Promise<WrapperEdit>;
  /** The verdict that catches it (default `refuted`). */
  caughtAs?: 'refuted' | 'inconclusive';
}

export const conf = (override: Record<string, unknown>) => (env: MutantEnv) => ({
  always: `export CONTAINERS_CONF=${hostContainersConf(env.who, override)}`,
});

/** Everything after podman's global storage flags, sent to the API service instead. */
export const toDaemon = async (env: MutantEnv, verb: string): Promise<WrapperEdit> =>
  toUrl(`unix://${await env.apiService()}`, verb);

export const toUrl = (url: string, verb: string): WrapperEdit => ({
  always: `if has ${verb} && ! has --remote; then
  strip_globals
  exec ${realPodman} --remote --url ${url} "\${args[@]}"
fi`,
});

export const systemdRun = (env: MutantEnv) =>
  `systemd-run ${env.who.name === 'rootless' ? '--user ' : ''}--wait --pipe --quiet --collect`;
