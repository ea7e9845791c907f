/**
 * What the transport reports about peer traffic. The server passes an
 * adapter over its Prometheus registry ({@link metricsSinkFrom}); tests pass a
 * recording sink or nothing. Peers are labelled by their id in hex, as etcd
 * labels `etcd_network_*` series.
 * @module
 */

export interface TransportMetricsSink {
  /** One probe round trip to `peer` took `seconds`. */
  roundTrip(peer: string, seconds: number): void;
  /** Bytes written to `peer` (message frames and snapshot bodies). */
  sentBytes(peer: string, bytes: number): void;
  /** Bytes read from `peer`. */
  receivedBytes(peer: string, bytes: number): void;
  /** A message to `peer` was dropped or failed to send. */
  sendFailure(peer: string): void;
}

export const nullMetricsSink: TransportMetricsSink = {
  roundTrip() {},
  sentBytes() {},
  receivedBytes() {},
  sendFailure() {},
};

interface LabelledHistogram {
  observe(labels: Record<string, string>, value: number): void;
}
interface LabelledCounter {
  inc(labels: Record<string, string>, value?: number): void;
}

/**
 * Adapts the server's metric objects (prom-client, etcd's names and labels:
 * `To` for sent, `From` for received) to the sink. Structural, so the
 * transport does not depend on the metrics module.
 */
export function metricsSinkFrom(m: {
  peerRoundTripSeconds: LabelledHistogram;
  peerSentBytes: LabelledCounter;
  peerReceivedBytes: LabelledCounter;
  peerSentFailures: LabelledCounter;
}): TransportMetricsSink {
  return {
    roundTrip: (peer, seconds) => m.peerRoundTripSeconds.observe({ To: peer }, seconds),
    sentBytes: (peer, bytes) => m.peerSentBytes.inc({ To: peer }, bytes),
    receivedBytes: (peer, bytes) => m.peerReceivedBytes.inc({ From: peer }, bytes),
    sendFailure: (peer) => m.peerSentFailures.inc({ To: peer }),
  };
}
