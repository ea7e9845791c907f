import { test } from "node:test";
import assert from "node:assert/strict";
import { handshakeProblem, newDialTrace, type DialTrace } from "./dial-failure.js";

function failed(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

function trace(secure: boolean, seen: Partial<DialTrace>): DialTrace {
  return { ...newDialTrace(secure), ...seen };
}

test("a TLS dial answered in plain text names the scheme mismatch, with OpenSSL's reason cut out of its noise", () => {
  const openssl = "803CE7E1357F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n";
  for (const error of [failed("EPROTO", `write EPROTO ${openssl}`), failed("ERR_SSL_WRONG_VERSION_NUMBER", openssl)]) {
    assert.equal(
      handshakeProblem(trace(true, { connected: true, error })),
      "TLS handshake failed: wrong version number (the peer answered in plain text: it serves http, not https, on this URL)",
    );
  }
});

test("a peer certificate no trusted CA signed is named as such", () => {
  const error = failed("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate");
  assert.equal(
    handshakeProblem(trace(true, { connected: true, error })),
    "TLS handshake failed: unable to verify the first certificate (the peer's certificate is not signed by a CA this member trusts)",
  );
});

test("an alert from the peer says it refused this member's certificate", () => {
  const error = failed("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA", "C0:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../ssl/record/rec_layer_s3.c:1586:SSL alert number 48\n");
  assert.equal(handshakeProblem(trace(true, { connected: true, error })), "TLS handshake failed: tlsv1 alert unknown ca (the peer refused this member's certificate)");
});

test("a connection closed before the peer spoke HTTP: a refused certificate, or the other scheme", () => {
  assert.match(handshakeProblem(trace(true, { connected: true, error: failed("ECONNRESET", "socket hang up") }))!, /during the TLS handshake/);
  assert.match(handshakeProblem(trace(false, { connected: true }))!, /serves https, not http/);
});

test("ordinary failures are not handshake problems: refused, unreachable, or after the peer spoke HTTP", () => {
  assert.equal(handshakeProblem(trace(true, { error: failed("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1") })), undefined);
  assert.equal(handshakeProblem(trace(false, { error: failed("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1") })), undefined);
  assert.equal(handshakeProblem(trace(false, { connected: true, spokeHttp: true, error: failed("ECONNRESET", "reset") })), undefined);
});
