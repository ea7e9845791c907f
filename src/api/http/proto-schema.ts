/**
 * The methods and messages the JSON gateway transcodes with, built from the
 * descriptors that the build generates from proto/ (src/gen/descriptors.ts,
 * the same files the codecs come from), so a field or service added there is
 * covered without touching the gateway, and nothing is read from disk at run
 * time. Message, field and enum shapes are @bufbuild/protobuf's descriptors.
 * What the gateway's JSON mapping cannot represent faithfully is refused when
 * the schema is built, loudly, rather than transcoded wrongly.
 * @module
 */
import { createFileRegistry, type DescEnum, type DescMessage, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { Edition, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { FILE_DESCRIPTOR_SET_BASE64 } from "../../gen/descriptors.js";

export interface MethodInfo {
  /** gRPC path: `/etcdserverpb.KV/Range`. */
  readonly path: string;
  readonly service: string;
  readonly name: string;
  readonly input: DescMessage;
  readonly output: DescMessage;
  readonly clientStreaming: boolean;
  readonly serverStreaming: boolean;
}

export class ProtoSchema {
  readonly #registry: FileRegistry;
  readonly #methods: ReadonlyMap<string, MethodInfo>;

  private constructor(registry: FileRegistry, methods: ReadonlyMap<string, MethodInfo>) {
    this.#registry = registry;
    this.#methods = methods;
  }

  /** The schema of proto/, from the descriptors generated at build time. */
  static generated(): ProtoSchema {
    return ProtoSchema.fromDescriptorSet(base64Decode(FILE_DESCRIPTOR_SET_BASE64));
  }

  /** From a serialized google.protobuf.FileDescriptorSet. Throws on anything the gateway cannot transcode. */
  static fromDescriptorSet(bytes: Uint8Array): ProtoSchema {
    const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
    const methods = new Map<string, MethodInfo>();
    const checked = new Set<DescMessage>();
    for (const type of registry) {
      if (type.kind !== "service") continue;
      for (const m of type.methods) {
        checkTranscodable(m.input, checked);
        checkTranscodable(m.output, checked);
        methods.set(`${type.typeName}/${m.name}`, {
          path: `/${type.typeName}/${m.name}`,
          service: type.typeName,
          name: m.name,
          input: m.input,
          output: m.output,
          clientStreaming: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
          serverStreaming: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
        });
      }
    }
    return new ProtoSchema(registry, methods);
  }

  message(typeName: string): DescMessage {
    const m = this.#registry.getMessage(typeName);
    if (m === undefined) throw new Error(`proto schema: no message ${typeName}`);
    return m;
  }

  enumType(typeName: string): DescEnum {
    const e = this.#registry.getEnum(typeName);
    if (e === undefined) throw new Error(`proto schema: no enum ${typeName}`);
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
}

/**
 * Refuses, for `type` and every message it reaches, what the gateway would
 * get wrong: anything but proto3 (both directions drop zero values, as
 * proto3's implicit presence allows), map fields (neither direction has a
 * map form), and the well-known types (jsonpb writes them in a form of
 * their own, e.g. a Timestamp as a string).
 */
function checkTranscodable(type: DescMessage, checked: Set<DescMessage>): void {
  if (checked.has(type)) return;
  checked.add(type);
  const fail = (why: string): never => {
    throw new Error(`proto schema: ${type.typeName} (${type.file.name}.proto): ${why}, which the gateway cannot transcode`);
  };
  if (type.file.edition !== Edition.EDITION_PROTO3) fail("not proto3");
  if (type.typeName.startsWith("google.protobuf.")) fail("a well-known type");
  for (const field of type.fields) {
    if (field.fieldKind === "map") fail(`${field.name} is a map field`);
    if (field.message !== undefined) checkTranscodable(field.message, checked);
  }
}

/** Go's name for an enum type (`etcdserverpb.RangeRequest_SortOrder`), which appears in gateway errors. */
export function goEnumName(type: DescEnum): string {
  const pkg = type.file.proto.package;
  const local = pkg === "" ? type.typeName : type.typeName.slice(pkg.length + 1);
  return `${pkg.split(".").pop()}.${local.replaceAll(".", "_")}`;
}
