/**
 * The few Reflect metadata functions tsyringe (a dependency of
 * @peculiar/x509) checks for at load time and calls when classes register:
 * getMetadata, getOwnMetadata, defineMetadata, metadata. Import this module
 * before @peculiar/x509. A polyfill of our own because the reflect-metadata
 * package is not a dependency; metadata lives in a WeakMap per target.
 */
type MetadataKey = string | symbol;
type Target = object;

const store = new WeakMap<Target, Map<MetadataKey, unknown>>();

function ownMap(target: Target, create: boolean): Map<MetadataKey, unknown> | undefined {
  let map = store.get(target);
  if (map === undefined && create) {
    map = new Map();
    store.set(target, map);
  }
  return map;
}

const functions = {
  defineMetadata(key: MetadataKey, value: unknown, target: Target): void {
    ownMap(target, true)!.set(key, value);
  },
  getOwnMetadata(key: MetadataKey, target: Target): unknown {
    return ownMap(target, false)?.get(key);
  },
  getMetadata(key: MetadataKey, target: Target): unknown {
    for (let t: Target | null = target; t !== null; t = Object.getPrototypeOf(t) as Target | null) {
      const map = ownMap(t, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  },
  metadata(key: MetadataKey, value: unknown) {
    return (target: Target): void => functions.defineMetadata(key, value, target);
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect["getMetadata"] !== "function") Object.assign(reflect, functions);
