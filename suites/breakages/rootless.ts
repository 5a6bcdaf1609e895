/** The breakages of the rootless claims: each must leave its claim refuted (or inconclusive, where it says so). */
import { type Mutant, toUrl } from './kit.js';

export const rootlessBreakages: Mutant[] = [
  // rootless.host-files
  {
    name: 'root-socket',
    claim: 'rootless.host-files',
    how: "the user's podman run goes to root's API socket, made accessible to others (the docker-group setup)",
    kind: 'wrapper',
    wrapper: async (env) => toUrl(await env.rootfulApiService('unix'), 'run'),
  },
  {
    name: 'root-tcp',
    claim: 'rootless.host-files',
    how: "the user's podman run goes to root's API service listening on loopback TCP",
    kind: 'wrapper',
    wrapper: async (env) => toUrl(await env.rootfulApiService('tcp'), 'run'),
  },
];
