import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatGoDuration, goQuote, parseGoBool, parseGoDuration, parseGoInt, parseGoUint } from "./go-value.js";

describe("Go value syntax", () => {
  it("parseGoBool accepts exactly strconv.ParseBool's spellings", () => {
    for (const t of ["1", "t", "T", "TRUE", "true", "True"]) assert.equal(parseGoBool(t), true, t);
    for (const f of ["0", "f", "F", "FALSE", "false", "False"]) assert.equal(parseGoBool(f), false, f);
    for (const bad of ["", "yes", "no", "on", "tRUE", "2", " true"]) assert.equal(parseGoBool(bad), undefined, bad);
  });

  const uintCases: [string, bigint | "syntax" | "range"][] = [
    ["0", 0n],
    ["128", 128n],
    ["0x10", 16n],
    ["0X1f", 31n],
    ["0o17", 15n],
    ["017", 15n],
    ["0b101", 5n],
    ["1_000", 1000n],
    ["0x_ff", 255n],
    ["18446744073709551615", 18446744073709551615n],
    ["18446744073709551616", "range"],
    ["", "syntax"],
    ["-1", "syntax"],
    ["+1", "syntax"],
    ["0x", "syntax"],
    ["1__0", "syntax"],
    ["_1", "syntax"],
    ["1_", "syntax"],
    ["08", "syntax"],
    ["12a", "syntax"],
    [" 1", "syntax"],
  ];
  for (const [text, want] of uintCases) {
    it(`parseGoUint(${JSON.stringify(text)}, 64) = ${want}`, () => assert.equal(parseGoUint(text, 64), want));
  }

  it("parseGoUint with 32 bits reports range past 4294967295 (real etcd: --max-concurrent-streams)", () => {
    assert.equal(parseGoUint("4294967295", 32), 4294967295n);
    assert.equal(parseGoUint("99999999999", 32), "range");
  });

  const intCases: [string, bigint | "syntax" | "range"][] = [
    ["-5", -5n],
    ["+5", 5n],
    ["-0x10", -16n],
    ["9223372036854775807", 9223372036854775807n],
    ["9223372036854775808", "range"],
    ["-9223372036854775808", -9223372036854775808n],
    ["-9223372036854775809", "range"],
    ["--1", "syntax"],
    ["", "syntax"],
  ];
  for (const [text, want] of intCases) {
    it(`parseGoInt(${JSON.stringify(text)}, 64) = ${want}`, () => assert.equal(parseGoInt(text, 64), want));
  }

  const durations: [string, bigint | string][] = [
    ["0", 0n],
    ["-0", 0n],
    ["100ms", 100_000_000n],
    ["1.5s", 1_500_000_000n],
    ["1m30s", 90_000_000_000n],
    ["2h", 7_200_000_000_000n],
    ["500us", 500_000n],
    ["500\u00b5s", 500_000n],
    ["500\u03bcs", 500_000n],
    ["10ns", 10n],
    ["-5s", -5_000_000_000n],
    ["+5s", 5_000_000_000n],
    [".5s", 500_000_000n],
    ["1.s", 1_000_000_000n],
    ["10", 'time: missing unit in duration "10"'],
    ["10q", 'time: unknown unit "q" in duration "10q"'],
    ["", 'time: invalid duration ""'],
    ["s", 'time: invalid duration "s"'],
    [".s", 'time: invalid duration ".s"'],
    ["1h-1m", 'time: unknown unit "h-" in duration "1h-1m"'],
    ["1h 1m", 'time: unknown unit "h " in duration "1h 1m"'],
    ["9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'],
  ];
  for (const [text, want] of durations) {
    it(`parseGoDuration(${JSON.stringify(text)})`, () => {
      const got = parseGoDuration(text);
      if (typeof want === "bigint") assert.equal(got, want);
      else assert.deepEqual(got, { error: want });
    });
  }

  it("formatGoDuration prints like time.Duration.String", () => {
    const cases: [number, string][] = [
      [0, "0s"],
      [100, "100ms"],
      [1.5, "1.5ms"],
      [0.5, "500\u00b5s"],
      [5000, "5s"],
      [60_000, "1m0s"],
      [90_500, "1m30.5s"],
      [7_200_000, "2h0m0s"],
      [-1000, "-1s"],
    ];
    for (const [ms, text] of cases) assert.equal(formatGoDuration(ms), text, String(ms));
  });

  it("goQuote escapes like strconv.Quote", () => {
    assert.equal(goQuote("abc"), '"abc"');
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote("a\nb\tc\x01\x7f"), '"a\\nb\\tc\\x01\\x7f"');
    assert.equal(goQuote("h\u00e9"), '"h\u00e9"');
  });
});
