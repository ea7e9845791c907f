// --auth-token, --auth-token-ttl and --bcrypt-cost: from flags, ETCD_* variables and YAML,
// with etcd's defaults, checks and messages (golden answers of etcd 3.4.23 where it speaks).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { helpText } from "./help.js";
import { err, ok, parse } from "./test-support.js";

const PATH = "/etc/etcd/etcd.conf.yml";

describe("auth flags", () => {
  it("etcd's defaults: simple tokens, 300 s, cost 10", () => {
    const { config } = ok([]);
    assert.equal(config.authToken, "simple");
    assert.equal(config.authTokenTtlSeconds, 300);
    assert.equal(config.bcryptCost, 10);
  });

  it("are implemented: setting them warns of nothing", () => {
    const { warnings } = ok(["--name=n", "--auth-token=jwt,priv-key=k.pem,sign-method=HS256,ttl=1m", "--auth-token-ttl=60", "--bcrypt-cost=4"]);
    assert.deepEqual(warnings, []);
  });

  it("come from ETCD_* variables as every flag does", () => {
    const { config } = ok([], { ETCD_AUTH_TOKEN: "jwt,pub-key=p.pem,sign-method=RS256", ETCD_AUTH_TOKEN_TTL: "30", ETCD_BCRYPT_COST: "12" });
    assert.equal(config.authToken, "jwt,pub-key=p.pem,sign-method=RS256");
    assert.equal(config.authTokenTtlSeconds, 30);
    assert.equal(config.bcryptCost, 12);
    assert.match(err(["--bcrypt-cost=5"], { ETCD_BCRYPT_COST: "6" }).message, /conflicting environment variable "ETCD_BCRYPT_COST"/);
  });

  it("come from the YAML config file under their flag names", () => {
    const yaml = "auth-token: jwt,priv-key=k.pem,sign-method=HS512,ttl=10m\nauth-token-ttl: 45\nbcrypt-cost: 11\n";
    const { config } = ok(["--config-file", PATH], {}, { [PATH]: yaml });
    assert.equal(config.authToken, "jwt,priv-key=k.pem,sign-method=HS512,ttl=10m");
    assert.equal(config.authTokenTtlSeconds, 45);
    assert.equal(config.bcryptCost, 11);
  });

  it("numbers as Go's flag package reads them (etcd: 'invalid value \"-5\" for flag -auth-token-ttl: parse error', exit 2)", () => {
    for (const [argv, message] of [
      [["--auth-token-ttl=-5"], 'invalid value "-5" for flag -auth-token-ttl: parse error'],
      [["--bcrypt-cost=abc"], 'invalid value "abc" for flag -bcrypt-cost: parse error'],
    ] as const) {
      const r = parse(argv);
      assert.equal(r.kind, "error");
      if (r.kind !== "error") continue;
      assert.equal(r.message, message);
      assert.equal(r.exitCode, 2);
    }
  });

  it("a --bcrypt-cost outside bcrypt's 4..31 becomes 10 with etcd's warning, as etcd (which starts anyway)", () => {
    for (const cost of [0, 3, 32, 100]) {
      const { config, warnings } = ok(["--name=n", `--bcrypt-cost=${cost}`]);
      assert.equal(config.bcryptCost, 10);
      assert.deepEqual(warnings, [`use default bcrypt cost instead of the invalid given cost (min-cost 4, max-cost 31, default-cost 10, given-cost ${cost})`]);
    }
    assert.equal(ok(["--bcrypt-cost=31"]).config.bcryptCost, 31);
  });

  it("--auth-token is taken as given: its meaning is src/auth's, applied when the member starts (as etcd's server start does)", () => {
    for (const text of ["foo", "", "jwt,sign-method=XX", "jwt,priv-key=k.pem,sign-method=EdDSA"]) assert.equal(ok([`--auth-token=${text}`]).config.authToken, text);
  });

  it("--auth-token-ttl 0 is accepted, as etcd accepts it", () => {
    assert.equal(ok(["--auth-token-ttl=0"]).config.authTokenTtlSeconds, 0);
  });

  it("-h lists them with their defaults", () => {
    const text = helpText();
    assert.match(text, /--auth-token 'simple'\n/);
    assert.match(text, /--auth-token-ttl '300'\n/);
    assert.match(text, /--bcrypt-cost '10'\n {4}bcrypt cost of stored password hashes, 4 to 31/);
  });
});
