import { BUSYBOX } from '../apparatus/images.js';
import { type NetworkSink, sinkAndNetwork } from '../apparatus/network-sink.js';
import type { ClaimContext } from '../experiment/types.js';

/** Two podman networks made without options: one with an HTTP sink in it, one without. */
export interface PlainNetworks {
  sink: NetworkSink;
  /** A second network of the harness's own, with its own DNS. */
  other: string;
}

/**
 * The run's {@link PlainNetworks} for this identity, made once (`ClaimContext.shared`): the arms
 * of egress, names and the isolate control only join them, so one pair serves them all. A claim
 * whose setting is a network option makes its own networks.
 */
export const plainNetworks = (ctx: ClaimContext): Promise<PlainNetworks> =>
  ctx.shared('plain networks: a sink network and another', async (made) => {
    const image = await made.image(BUSYBOX);
    return sinkAndNetwork(made, image);
  });
