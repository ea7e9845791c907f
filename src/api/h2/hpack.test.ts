import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeHeaders, encodeInt, HpackDecoder, HpackError, type HeaderList } from "./hpack.js";
import { huffmanDecode, HuffmanError } from "./huffman.js";
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./huffman-table.js";

/** RFC 7541 examples are printed as hex with spaces. */
function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ""), "hex");
}

function pairs(list: HeaderList): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < list.length; i += 2) out.push([list[i]!, list[i + 1]!]);
  return out;
}

/** A reference Huffman encoder from the code table, to check test vectors and build bad inputs. */
function huffmanEncode(text: string): Buffer {
  const bytes: number[] = [];
  let acc = 0n;
  let bits = 0;
  for (const b of Buffer.from(text, "latin1")) {
    acc = (acc << BigInt(HUFFMAN_LENGTHS[b]!)) | BigInt(HUFFMAN_CODES[b]!);
    bits += HUFFMAN_LENGTHS[b]!;
    while (bits >= 8) {
      bits -= 8;
      bytes.push(Number((acc >> BigInt(bits)) & 0xffn));
    }
  }
  if (bits > 0) bytes.push(Number(((acc << BigInt(8 - bits)) | ((1n << BigInt(8 - bits)) - 1n)) & 0xffn));
  return Buffer.from(bytes);
}

const decoder = (maxTableSize = 4096): HpackDecoder => new HpackDecoder({ maxTableSize, maxHeaderListSize: 64 * 1024 });

const REQUESTS: [string, string][][] = [
  [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
  ],
  [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
    ["cache-control", "no-cache"],
  ],
  [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/index.html"],
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ],
];

const RESPONSES: [string, string][][] = [
  [
    [":status", "302"],
    ["cache-control", "private"],
    ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["location", "https://www.example.com"],
  ],
  [
    [":status", "307"],
    ["cache-control", "private"],
    ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["location", "https://www.example.com"],
  ],
  [
    [":status", "200"],
    ["cache-control", "private"],
    ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
    ["location", "https://www.example.com"],
    ["content-encoding", "gzip"],
    ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
  ],
];

test("hpack: RFC 7541 C.3 requests without Huffman share one dynamic table", () => {
  const d = decoder();
  assert.deepEqual(pairs(d.decode(hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"))), REQUESTS[0]);
  assert.deepEqual(pairs(d.decode(hex("8286 84be 5808 6e6f 2d63 6163 6865"))), REQUESTS[1]);
  assert.deepEqual(
    pairs(d.decode(hex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"))),
    REQUESTS[2],
  );
  // The table now holds three entries (62..64): 64 is :authority, 65 does not exist.
  assert.deepEqual(pairs(d.decode(hex("c0 be"))), [
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ]);
  assert.throws(() => d.decode(hex("c1")), HpackError);
});

test("hpack: RFC 7541 C.4 requests with Huffman", () => {
  const d = decoder();
  assert.deepEqual(pairs(d.decode(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"))), REQUESTS[0]);
  assert.deepEqual(pairs(d.decode(hex("8286 84be 5886 a8eb 1064 9cbf"))), REQUESTS[1]);
  assert.deepEqual(pairs(d.decode(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"))), REQUESTS[2]);
});

test("hpack: RFC 7541 C.5 responses without Huffman, table size 256, evict old entries", () => {
  const d = decoder(256);
  assert.deepEqual(
    pairs(
      d.decode(
        hex(`4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d
             546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`),
      ),
    ),
    RESPONSES[0],
  );
  assert.deepEqual(pairs(d.decode(hex("4803 3330 37c1 c0bf"))), RESPONSES[1]);
  assert.deepEqual(
    pairs(
      d.decode(
        hex(`88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f
             6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630
             303b 2076 6572 7369 6f6e 3d31`),
      ),
    ),
    RESPONSES[2],
  );
  // After C.5.3 the table is [set-cookie, content-encoding, date]: 215 bytes; index 65 was evicted.
  assert.deepEqual(pairs(d.decode(hex("be bf c0"))), [
    ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
    ["content-encoding", "gzip"],
    ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
  ]);
  assert.throws(() => d.decode(hex("c1")), HpackError);
});

test("hpack: RFC 7541 C.6 responses with Huffman, table size 256", () => {
  const d = decoder(256);
  assert.deepEqual(
    pairs(
      d.decode(
        hex(`4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7
             8f0b 97c8 e9ae 82ae 43d3`),
      ),
    ),
    RESPONSES[0],
  );
  assert.deepEqual(pairs(d.decode(hex("4883 640e ffc1 c0bf"))), RESPONSES[1]);
  assert.deepEqual(
    pairs(
      d.decode(
        hex(`88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335
             dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07`),
      ),
    ),
    RESPONSES[2],
  );
  assert.throws(() => d.decode(hex("c1")), HpackError);
});

test("huffman: RFC 7541 C.4 / C.6 strings", () => {
  const vectors: [string, string][] = [
    ["www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"],
    ["no-cache", "a8eb 1064 9cbf"],
    ["custom-key", "25a8 49e9 5ba9 7d7f"],
    ["custom-value", "25a8 49e9 5bb8 e8b4 bf"],
    ["302", "6402"],
    ["307", "640e ff"],
    ["private", "aec3 771a 4b"],
    ["Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"],
    ["Mon, 21 Oct 2013 20:13:22 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff"],
    ["https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"],
    ["gzip", "9bd9 ab"],
    ["foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1", "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"],
  ];
  for (const [text, code] of vectors) {
    assert.equal(huffmanDecode(hex(code)).toString("latin1"), text, text);
    assert.deepEqual(huffmanEncode(text), hex(code), `reference encoder: ${text}`);
  }
  // Every octet, one at a time and all together.
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("latin1");
  assert.equal(huffmanDecode(huffmanEncode(all)).toString("latin1"), all);
  for (let i = 0; i < 256; i++) {
    const s = String.fromCharCode(i).repeat(3);
    assert.equal(huffmanDecode(huffmanEncode(s)).toString("latin1"), s);
  }
  assert.equal(huffmanDecode(Buffer.alloc(0)).length, 0);
});

test("huffman: invalid padding and EOS are errors", () => {
  // "0" is 00000 (5 bits); padding must be ones.
  assert.throws(() => huffmanDecode(Buffer.from([0x00])), HuffmanError); // padding of zeros
  assert.equal(huffmanDecode(Buffer.from([0x07])).toString(), "0"); // 00000 111: valid
  // A whole byte of padding (8 ones) is more than 7 bits.
  assert.throws(() => huffmanDecode(Buffer.from([0x07, 0xff])), HuffmanError);
  assert.throws(() => huffmanDecode(Buffer.from([0xff])), HuffmanError);
  // EOS (30 ones) inside a string.
  assert.throws(() => huffmanDecode(Buffer.from([0xff, 0xff, 0xff, 0xfc])), HuffmanError);
  // Through the HPACK decoder: literal without indexing, new name "a", a Huffman value with bad padding.
  const block = Buffer.from([0x00, 0x01, 0x61, 0x81, 0x00]);
  assert.throws(() => decoder().decode(block), HpackError);
  const bad8 = Buffer.from([0x00, 0x01, 0x61, 0x82, 0x07, 0xff]);
  assert.throws(() => decoder().decode(bad8), HpackError);
});

test("hpack: out-of-range and zero indexes, truncation, size updates", () => {
  const d = decoder();
  assert.throws(() => d.decode(hex("be")), HpackError); // 62: empty dynamic table
  assert.throws(() => d.decode(hex("80")), HpackError); // index 0
  assert.throws(() => d.decode(hex("7e 01 61")), HpackError); // literal with a name index of 62
  assert.throws(() => d.decode(hex("ff")), HpackError); // truncated integer
  assert.throws(() => d.decode(hex("00 05 61")), HpackError); // truncated string
  assert.throws(() => d.decode(hex("ff ff ff ff ff ff 7f")), HpackError); // integer too large
  // Size updates: up to the advertised 4096 is fine; above raises.
  const s = decoder();
  const up = [] as number[];
  encodeInt(up, 0x20, 5, 4096);
  assert.deepEqual(s.decode(Buffer.from([...up, 0x82])), [":method", "GET"]);
  const over = [] as number[];
  encodeInt(over, 0x20, 5, 4097);
  assert.throws(() => s.decode(Buffer.from(over)), HpackError);
  // A size update after a field is an error.
  assert.throws(() => decoder().decode(Buffer.from([0x82, 0x20])), HpackError);
  // Size 0 empties the table.
  const z = decoder();
  z.decode(hex("4001 6101 62")); // a: b, indexed
  assert.deepEqual(z.decode(hex("be")), ["a", "b"]);
  assert.throws(() => z.decode(hex("20 be")), HpackError);
  // An entry larger than the whole table empties it and is not added (RFC 7541 §4.4).
  const t = decoder();
  t.decode(hex("4001 6101 62")); // a: b (34 bytes)
  const small = [] as number[];
  encodeInt(small, 0x20, 5, 40);
  assert.deepEqual(t.decode(Buffer.from([...small, 0xbe])), ["a", "b"]); // still fits in 40
  assert.deepEqual(t.decode(encodeIndexed("long-name", "long-value")), ["long-name", "long-value"]); // 51 > 40
  assert.throws(() => t.decode(hex("be")), HpackError);
});

/** A literal with incremental indexing and a new name. */
function encodeIndexed(name: string, value: string): Buffer {
  const out = [0x40] as number[];
  encodeInt(out, 0, 7, name.length);
  out.push(...Buffer.from(name));
  encodeInt(out, 0, 7, value.length);
  out.push(...Buffer.from(value));
  return Buffer.from(out);
}

test("hpack: header list size limit", () => {
  const d = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 100 });
  assert.deepEqual(d.decode(encodeHeaders([["x", "y".repeat(60)]])), ["x", "y".repeat(60)]);
  assert.throws(() => d.decode(encodeHeaders([["x", "y".repeat(60)], ["z", "w"]])), HpackError);
});

test("hpack: encodeHeaders round-trips through the decoder", () => {
  const fields: [string, string][] = [
    [":status", "200"],
    [":status", "404"],
    ["content-type", "application/grpc"],
    ["grpc-status", "13"],
    ["grpc-message", "caf%C3%A9 100%25 " + "x".repeat(300)],
    ["x-custom-bin", "AAEC"],
    ["", ""],
    ["latin1", "\u00e9\u00ff\u0000"],
  ];
  const d = decoder();
  const block = encodeHeaders(fields);
  assert.deepEqual(pairs(d.decode(block)), fields);
  // Nothing was indexed: the dynamic table stays empty.
  assert.throws(() => d.decode(hex("be")), HpackError);
  // Integers across prefix boundaries.
  for (const n of [0, 14, 15, 16, 126, 127, 128, 255, 16_383, 16_384, 1_000_000]) {
    const value = "v".repeat(n);
    const big = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 2_000_000 });
    assert.equal(big.decode(encodeHeaders([["k", value]]))[1], value);
  }
});
