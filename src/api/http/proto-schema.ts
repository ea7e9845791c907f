/**
 * The message and service shapes the JSON gateway transcodes with, read from
 * the same `.proto` files the codecs are generated from (proto/ at the
 * repository root), so a field or service added there is covered without
 * touching the gateway. Only the proto3 subset our files use is understood:
 * messages (nested), enums, oneofs, repeated fields, services with streaming
 * rpcs; options are skipped. Anything else (map fields, proto2 groups) is
 * refused at load time, loudly, rather than transcoded wrongly.
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type ScalarType =
  | "double"
  | "float"
  | "int64"
  | "uint64"
  | "int32"
  | "fixed64"
  | "fixed32"
  | "bool"
  | "string"
  | "bytes"
  | "uint32"
  | "sfixed32"
  | "sfixed64"
  | "sint32"
  | "sint64";

const SCALARS: ReadonlySet<string> = new Set<ScalarType>([
  "double", "float", "int64", "uint64", "int32", "fixed64", "fixed32", "bool",
  "string", "bytes", "uint32", "sfixed32", "sfixed64", "sint32", "sint64",
]);

export type FieldType =
  | { kind: "scalar"; scalar: ScalarType }
  | { kind: "enum"; enum: EnumInfo }
  | { kind: "message"; message: MessageInfo };

export interface FieldInfo {
  /** The name as declared: what the gateway writes (grpc-gateway's OrigName). */
  readonly name: string;
  /** protoc's lowerCamel JSON name, also accepted on input. */
  readonly jsonName: string;
  readonly number: number;
  readonly repeated: boolean;
  /** Name of the oneof the field belongs to. */
  readonly oneof: string | undefined;
  type: FieldType;
}

export interface MessageInfo {
  /** Fully qualified, without the leading dot: `etcdserverpb.RangeRequest`. */
  readonly fullName: string;
  /** Fields in declaration order (the order grpc-gateway writes them in). */
  readonly fields: FieldInfo[];
  readonly byNumber: Map<number, FieldInfo>;
}

export interface EnumInfo {
  readonly fullName: string;
  /** Go's name for the type (`etcdserverpb.RangeRequest_SortOrder`), which appears in gateway errors. */
  readonly goName: string;
  readonly byName: Map<string, number>;
  readonly byNumber: Map<number, string>;
}

export interface MethodInfo {
  /** gRPC path: `/etcdserverpb.KV/Range`. */
  readonly path: string;
  readonly service: string;
  readonly name: string;
  readonly input: MessageInfo;
  readonly output: MessageInfo;
  readonly clientStreaming: boolean;
  readonly serverStreaming: boolean;
}

export class ProtoSchema {
  readonly #messages = new Map<string, MessageInfo>();
  readonly #enums = new Map<string, EnumInfo>();
  readonly #methods = new Map<string, MethodInfo>();

  /** Parses and links the given files (name → text). Throws on anything it cannot represent. */
  static parse(files: ReadonlyMap<string, string>): ProtoSchema {
    const schema = new ProtoSchema();
    const pending: PendingFile[] = [];
    for (const [name, text] of files) pending.push(new FileParser(name, text).parse());
    schema.#link(pending);
    return schema;
  }

  /** Loads every `.proto` under `root`. */
  static load(root: string): ProtoSchema {
    const files = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir).sort()) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (entry.endsWith(".proto")) files.set(path.slice(root.length + 1), readFileSync(path, "utf8"));
      }
    };
    walk(root);
    return ProtoSchema.parse(files);
  }

  message(fullName: string): MessageInfo {
    const m = this.#messages.get(fullName);
    if (m === undefined) throw new Error(`proto schema: no message ${fullName}`);
    return m;
  }

  enumType(fullName: string): EnumInfo {
    const e = this.#enums.get(fullName);
    if (e === undefined) throw new Error(`proto schema: no enum ${fullName}`);
    return e;
  }

  /** A method by `pkg.Service/Method`. */
  method(name: string): MethodInfo {
    const m = this.#methods.get(name);
    if (m === undefined) throw new Error(`proto schema: no rpc ${name}`);
    return m;
  }

  hasMethod(name: string): boolean {
    return this.#methods.has(name);
  }

  /** Every rpc, as `pkg.Service/Method`. */
  methodNames(): string[] {
    return [...this.#methods.keys()];
  }

  #link(files: PendingFile[]): void {
    for (const f of files) {
      for (const e of f.enums) this.#enums.set(e.info.fullName, e.info);
      for (const m of f.messages) this.#messages.set(m.info.fullName, m.info);
    }
    for (const f of files) {
      for (const m of f.messages) {
        for (const field of m.fields) field.info.type = this.#resolveType(field.typeName, m.info.fullName, m.info.fullName);
      }
      for (const s of f.services) {
        for (const r of s.rpcs) {
          const input = this.#resolveMessage(r.input, f.pkg, s.fullName);
          const output = this.#resolveMessage(r.output, f.pkg, s.fullName);
          const path = `/${s.fullName}/${r.name}`;
          this.#methods.set(`${s.fullName}/${r.name}`, {
            path,
            service: s.fullName,
            name: r.name,
            input,
            output,
            clientStreaming: r.clientStreaming,
            serverStreaming: r.serverStreaming,
          });
        }
      }
    }
  }

  #resolveType(typeName: string, scope: string, where: string): FieldType {
    if (SCALARS.has(typeName)) return { kind: "scalar", scalar: typeName as ScalarType };
    const full = this.#lookup(typeName, scope);
    if (full === undefined) throw new Error(`proto schema: unknown type ${typeName} in ${where}`);
    const message = this.#messages.get(full);
    if (message !== undefined) return { kind: "message", message };
    return { kind: "enum", enum: this.#enums.get(full)! };
  }

  #resolveMessage(typeName: string, scope: string, where: string): MessageInfo {
    const t = this.#resolveType(typeName, scope, where);
    if (t.kind !== "message") throw new Error(`proto schema: ${typeName} in ${where} is not a message`);
    return t.message;
  }

  /** protobuf's scoping: innermost scope first, then each enclosing one. */
  #lookup(typeName: string, scope: string): string | undefined {
    if (typeName.startsWith(".")) return this.#known(typeName.slice(1)) ? typeName.slice(1) : undefined;
    const parts = scope === "" ? [] : scope.split(".");
    for (let n = parts.length; n >= 0; n--) {
      const candidate = [...parts.slice(0, n), typeName].join(".");
      if (this.#known(candidate)) return candidate;
    }
    return undefined;
  }

  #known(fullName: string): boolean {
    return this.#messages.has(fullName) || this.#enums.has(fullName);
  }
}

/** protoc's JSON name: underscores dropped, the letter after each one upper-cased. */
export function protoJsonName(name: string): string {
  let out = "";
  let upper = false;
  for (const ch of name) {
    if (ch === "_") {
      upper = true;
    } else {
      out += upper ? ch.toUpperCase() : ch;
      upper = false;
    }
  }
  return out;
}

/**
 * The repository's proto/ directory, found by walking up from this module
 * (dist/src/api/http → repository root), or undefined when it is not there.
 */
export function findProtoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = join(dir, "proto");
    if (existsSync(join(candidate, "etcdserverpb", "rpc.proto"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

// ---- parsing -------------------------------------------------------------

interface PendingField {
  info: FieldInfo;
  typeName: string;
}

interface PendingMessage {
  info: MessageInfo;
  fields: PendingField[];
}

interface PendingRpc {
  name: string;
  input: string;
  output: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
}

interface PendingService {
  fullName: string;
  rpcs: PendingRpc[];
}

interface PendingFile {
  pkg: string;
  messages: PendingMessage[];
  enums: { info: EnumInfo }[];
  services: PendingService[];
}

type Token = { kind: "ident" | "number" | "string" | "symbol"; text: string; line: number };

function tokenize(name: string, text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new Error(`${name}:${line}: ${msg}`);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) fail("unterminated comment");
      for (let j = i; j < end; j++) if (text[j] === "\n") line++;
      i = end + 2;
    } else if (/[A-Za-z_.]/.test(c)) {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_.]/.test(text[i]!)) i++;
      tokens.push({ kind: "ident", text: text.slice(start, i), line });
    } else if (/[0-9-]/.test(c)) {
      const start = i;
      i++;
      while (i < text.length && /[0-9A-Za-z.+-]/.test(text[i]!)) i++;
      tokens.push({ kind: "number", text: text.slice(start, i), line });
    } else if (c === '"' || c === "'") {
      const start = ++i;
      while (i < text.length && text[i] !== c) i += text[i] === "\\" ? 2 : 1;
      if (i >= text.length) fail("unterminated string");
      tokens.push({ kind: "string", text: text.slice(start, i), line });
      i++;
    } else if ("{}()[];=<>,:".includes(c)) {
      tokens.push({ kind: "symbol", text: c, line });
      i++;
    } else {
      fail(`unexpected character ${JSON.stringify(c)}`);
    }
  }
  return tokens;
}

class FileParser {
  readonly #name: string;
  readonly #tokens: Token[];
  #pos = 0;
  #pkg = "";
  readonly #out: PendingFile = { pkg: "", messages: [], enums: [], services: [] };

  constructor(name: string, text: string) {
    this.#name = name;
    this.#tokens = tokenize(name, text);
  }

  parse(): PendingFile {
    while (this.#peek() !== undefined) {
      const word = this.#ident();
      switch (word) {
        case "syntax": {
          this.#expect("=");
          const syntax = this.#next().text;
          if (syntax !== "proto3") this.#fail(`only proto3 is supported, not ${syntax}`);
          this.#expect(";");
          break;
        }
        case "package":
          this.#pkg = this.#ident();
          this.#out.pkg = this.#pkg;
          this.#expect(";");
          break;
        case "import":
        case "option":
          this.#skipStatement();
          break;
        case "message":
          this.#message(this.#pkg, []);
          break;
        case "enum":
          this.#enum(this.#pkg, []);
          break;
        case "service":
          this.#service();
          break;
        default:
          this.#fail(`unexpected ${word}`);
      }
    }
    return this.#out;
  }

  #message(scope: string, goPath: string[]): void {
    const name = this.#ident();
    const fullName = qualify(scope, name);
    const info: MessageInfo = { fullName, fields: [], byNumber: new Map() };
    const pending: PendingMessage = { info, fields: [] };
    this.#out.messages.push(pending);
    this.#expect("{");
    while (!this.#accept("}")) {
      if (this.#accept(";")) continue;
      const word = this.#ident();
      switch (word) {
        case "message":
          this.#message(fullName, [...goPath, name]);
          break;
        case "enum":
          this.#enum(fullName, [...goPath, name]);
          break;
        case "option":
        case "reserved":
        case "extensions":
          this.#skipStatement();
          break;
        case "oneof": {
          const oneof = this.#ident();
          this.#expect("{");
          while (!this.#accept("}")) {
            if (this.#accept(";")) continue;
            const t = this.#ident();
            if (t === "option") this.#skipStatement();
            else this.#field(pending, t, false, oneof);
          }
          break;
        }
        case "map":
        case "group":
          this.#fail(`${word} fields are not supported by the gateway schema`);
          break;
        case "repeated":
          this.#field(pending, this.#ident(), true, undefined);
          break;
        case "optional":
          this.#field(pending, this.#ident(), false, undefined);
          break;
        default:
          this.#field(pending, word, false, undefined);
      }
    }
  }

  #field(message: PendingMessage, typeName: string, repeated: boolean, oneof: string | undefined): void {
    const name = this.#ident();
    this.#expect("=");
    const number = Number(this.#next().text);
    if (!Number.isInteger(number) || number <= 0) this.#fail(`bad field number for ${name}`);
    if (this.#accept("[")) this.#skipBalanced("[", "]");
    this.#expect(";");
    const info: FieldInfo = {
      name,
      jsonName: protoJsonName(name),
      number,
      repeated,
      oneof,
      type: { kind: "scalar", scalar: "bytes" }, // replaced when linking
    };
    if (message.info.byNumber.has(number)) this.#fail(`duplicate field number ${number} in ${message.info.fullName}`);
    message.info.fields.push(info);
    message.info.byNumber.set(number, info);
    message.fields.push({ info, typeName });
  }

  #enum(scope: string, goPath: string[]): void {
    const name = this.#ident();
    const info: EnumInfo = {
      fullName: qualify(scope, name),
      goName: `${this.#pkg.split(".").pop()}.${[...goPath, name].join("_")}`,
      byName: new Map(),
      byNumber: new Map(),
    };
    this.#out.enums.push({ info });
    this.#expect("{");
    while (!this.#accept("}")) {
      if (this.#accept(";")) continue;
      const word = this.#ident();
      if (word === "option" || word === "reserved") {
        this.#skipStatement();
        continue;
      }
      this.#expect("=");
      const value = Number(this.#next().text);
      if (!Number.isInteger(value)) this.#fail(`bad value for enum ${word}`);
      if (this.#accept("[")) this.#skipBalanced("[", "]");
      this.#expect(";");
      info.byName.set(word, value);
      if (!info.byNumber.has(value)) info.byNumber.set(value, word);
    }
  }

  #service(): void {
    const name = this.#ident();
    const service: PendingService = { fullName: qualify(this.#pkg, name), rpcs: [] };
    this.#out.services.push(service);
    this.#expect("{");
    while (!this.#accept("}")) {
      if (this.#accept(";")) continue;
      const word = this.#ident();
      if (word === "option") {
        this.#skipStatement();
        continue;
      }
      if (word !== "rpc") this.#fail(`unexpected ${word} in service ${name}`);
      const rpcName = this.#ident();
      const [clientStreaming, input] = this.#rpcType();
      if (this.#ident() !== "returns") this.#fail("expected returns");
      const [serverStreaming, output] = this.#rpcType();
      if (this.#accept("{")) this.#skipBalanced("{", "}");
      else this.#expect(";");
      service.rpcs.push({ name: rpcName, input, output, clientStreaming, serverStreaming });
    }
  }

  #rpcType(): [boolean, string] {
    this.#expect("(");
    let streaming = false;
    let type = this.#ident();
    if (type === "stream" && this.#peek()?.kind === "ident") {
      streaming = true;
      type = this.#ident();
    }
    this.#expect(")");
    return [streaming, type];
  }

  /** Skips to the `;` ending the statement, over any nested braces (option aggregates). */
  #skipStatement(): void {
    for (;;) {
      const t = this.#next();
      if (t.kind === "symbol" && t.text === ";") return;
      if (t.kind === "symbol" && t.text === "{") this.#skipBalanced("{", "}");
    }
  }

  /** Called after `open` was consumed: skips up to and including the matching `close`. */
  #skipBalanced(open: string, close: string): void {
    let depth = 1;
    while (depth > 0) {
      const t = this.#next();
      if (t.kind === "symbol" && t.text === open) depth++;
      else if (t.kind === "symbol" && t.text === close) depth--;
    }
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#pos];
  }

  #next(): Token {
    const t = this.#tokens[this.#pos++];
    if (t === undefined) this.#fail("unexpected end of file");
    return t!;
  }

  #ident(): string {
    const t = this.#next();
    if (t.kind !== "ident") this.#fail(`expected a name, found ${JSON.stringify(t.text)}`, t);
    return t.text;
  }

  #expect(symbol: string): void {
    const t = this.#next();
    if (t.kind !== "symbol" || t.text !== symbol) this.#fail(`expected ${JSON.stringify(symbol)}, found ${JSON.stringify(t.text)}`, t);
  }

  #accept(symbol: string): boolean {
    const t = this.#peek();
    if (t?.kind === "symbol" && t.text === symbol) {
      this.#pos++;
      return true;
    }
    return false;
  }

  #fail(msg: string, at?: Token): never {
    const line = at?.line ?? this.#tokens[Math.min(this.#pos, this.#tokens.length - 1)]?.line ?? 0;
    throw new Error(`${this.#name}:${line}: ${msg}`);
  }
}

function qualify(scope: string, name: string): string {
  return scope === "" ? name : `${scope}.${name}`;
}
