/**
 * HPACK Huffman decoding (RFC 7541 §5.2) with a 4-bit-at-a-time state
 * machine built once from the code table: each state is a node of the code
 * tree, and a table gives, for a state and the next nibble, the state after
 * it and the octet emitted on the way (if any). Four bits per step is a
 * quarter of the work of walking the tree bit by bit.
 * @module
 */
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./huffman-table.js";

export class HuffmanError extends Error {}

interface TreeNode {
  sym: number;
  zero: TreeNode | undefined;
  one: TreeNode | undefined;
  id: number;
  /** Whether the bits from the root to here are all ones (and at most 7): valid end-of-string padding. */
  padding: boolean;
}

function newNode(): TreeNode {
  return { sym: -1, zero: undefined, one: undefined, id: -1, padding: false };
}

function buildTree(): TreeNode {
  const root = newNode();
  for (let sym = 0; sym < 256; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    const len = HUFFMAN_LENGTHS[sym]!;
    let n = root;
    for (let bit = len - 1; bit >= 0; bit--) {
      const one = ((code >>> bit) & 1) === 1;
      let next = one ? n.one : n.zero;
      if (next === undefined) {
        next = newNode();
        if (one) n.one = next;
        else n.zero = next;
      }
      n = next;
    }
    n.sym = sym;
  }
  return root;
}

/** Per (state, nibble): next state id, or -1 for an invalid code (EOS inside a string). */
const NEXT: Int16Array[] = [];
/** Per (state, nibble): octet emitted, or -1. Two octets cannot be emitted in 4 bits (the shortest code is 5). */
const EMIT: Int16Array[] = [];
/** Per state: whether ending the string here is valid (root, or inside all-ones padding of < 8 bits). */
const ACCEPTS: boolean[] = [];

(function buildMachine(): void {
  const root = buildTree();
  const internal: TreeNode[] = [];
  const number = (n: TreeNode, depth: number, allOnes: boolean): void => {
    if (n.sym >= 0) return;
    n.id = internal.length;
    n.padding = allOnes && depth <= 7;
    internal.push(n);
    if (n.zero !== undefined) number(n.zero, depth + 1, false);
    if (n.one !== undefined) number(n.one, depth + 1, allOnes);
  };
  number(root, 0, true);
  for (const state of internal) {
    const next = new Int16Array(16);
    const emit = new Int16Array(16);
    for (let nibble = 0; nibble < 16; nibble++) {
      let n: TreeNode | undefined = state;
      let out = -1;
      for (let bit = 3; bit >= 0 && n !== undefined; bit--) {
        n = (nibble >>> bit) & 1 ? n.one : n.zero;
        if (n !== undefined && n.sym >= 0) {
          out = n.sym;
          n = root;
        }
      }
      next[nibble] = n === undefined ? -1 : n.id;
      emit[nibble] = out;
    }
    NEXT.push(next);
    EMIT.push(emit);
    ACCEPTS.push(state === root || state.padding);
  }
})();

/** Decodes a Huffman-coded string; throws {@link HuffmanError} for an invalid code or padding. */
export function huffmanDecode(data: Uint8Array): Buffer {
  // Every code is at least 5 bits: the output is at most 8/5 of the input.
  const out = Buffer.allocUnsafe(Math.ceil((data.length * 8) / 5));
  let len = 0;
  let state = 0;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    const high = byte >>> 4;
    let sym = EMIT[state]![high]!;
    state = NEXT[state]![high]!;
    if (state < 0) throw new HuffmanError("hpack: invalid huffman code");
    if (sym >= 0) out[len++] = sym;
    const low = byte & 0xf;
    sym = EMIT[state]![low]!;
    state = NEXT[state]![low]!;
    if (state < 0) throw new HuffmanError("hpack: invalid huffman code");
    if (sym >= 0) out[len++] = sym;
  }
  if (!ACCEPTS[state]) throw new HuffmanError("hpack: invalid huffman padding");
  return out.subarray(0, len);
}
