#!/usr/bin/env node
// Regenerates ../go-stdlib-golden.json: seeded random and hand-picked inputs,
// answered by Go's standard library (main.go). Needs a Go toolchain:
//   node src/cli/etcd/testdata/gen/generate.mjs
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
let seed = 20240601;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pick = (s) => s[Math.floor(rnd() * s.length)];
const gen = (alphabet, max) => {
  let n = Math.floor(rnd() * max);
  let out = "";
  while (n--) out += pick(alphabet);
  return out;
};
const times = (n, f) => Array.from({ length: n }, f);

const Durations = [
  "0", "-0", "1h-1m", "1h 1m", "", "1.5h", ".5s", "1.s", "5", "1e3s", "9223372036854775807ns", "9223372036854775808ns",
  "-9223372036854775808ns", "2562047h", "2562048h", "1\u00b5s", "1\u03bcs", "+3m", "3m2", "1.0000000001s", "0.1ns",
  ...times(400, () => gen("0123456789.hmsun\u00b5-+ ", 8)),
];
const Uints = [
  "0", "0x", "0x_1", "1_2", "_1", "1_", "0b", "0b12", "0o8", "08", "0_8", "0_7", "0X1F", "1e3",
  "18446744073709551615", "18446744073709551616", "-0",
  ...times(400, () => gen("0123456789_xXbBoOabcdef-+", 8)),
];
const Ints = [...Uints, "-9223372036854775808", "-9223372036854775809", "9223372036854775807", "9223372036854775808", "+-1", "-_1", "-0x_1"];
const Urls = [
  "http://127.0.0.1:2379", "http://[::1", "http://a b:1", "127.0.0.1:2379", "localhost:2379", ":2379", "", " http://x:1 ",
  "http://x:1/", "http://x:1?y", "http://x:1#f", "http://x:1?", "http://u@x:1", "http://u p@x:1", "http://x%41:1",
  "http://x%zz:1", "http://x%0a:1", "http://[::1]:1", "http://[::1]x:1", "http://[fe80::1%25en0]:1", "unix:///tmp/x",
  "unix://x:1", "mailto:x", "http:/x:1", "http:///x:1", "//x:1", "HTTP://X:1", "http://x:1:2", "http://x:", "http://:1",
  "http://x:1/%zz", "http://x:1#%zz", "*", "http://x\x7f:1", "http://\u00e9:1", "http://x{:1", "http://x|y:1", "http://x\\y:1",
  ...times(600, () => (rnd() < 0.7 ? "http://" : "") + gen("htp:/[]@%?#x1.: 0abc\u00e9{|", 10)),
];

const dir = mkdtempSync(join(tmpdir(), "etcd-golden-"));
const bin = join(dir, "oracle");
execFileSync("go", ["build", "-o", bin, join(here, "main.go")], { env: { ...process.env, GO111MODULE: "off", GOCACHE: join(dir, "cache") } });
const answers = JSON.parse(execFileSync(bin, { input: JSON.stringify({ Durations, Uints, Ints, Urls }) }).toString());
const golden = {
  generator: "src/cli/etcd/testdata/gen/generate.mjs with " + execFileSync("go", ["version"]).toString().trim(),
  durations: Durations.map((input, i) => [input, answers.d[i]]),
  uints: Uints.map((input, i) => [input, answers.u[i]]),
  ints: Ints.map((input, i) => [input, answers.i[i]]),
  urls: Urls.map((input, i) => [input, answers.url[i]]),
};
writeFileSync(join(here, "..", "go-stdlib-golden.json"), JSON.stringify(golden, null, 0).replaceAll('],["', '],\n["') + "\n");
console.log("wrote", join(here, "..", "go-stdlib-golden.json"));
