/** A certificate's subjectAltName read from Node's text form, and Go's host-name matching against it. */
import { isIP } from "node:net";

export interface SubjectAltNames {
  readonly dnsNames: readonly string[];
  /** Canonical form (see canonicalIp). */
  readonly ipAddresses: readonly string[];
}

/**
 * Parses X509Certificate#subjectAltName ("DNS:a, IP Address:1.2.3.4, ...").
 * Node quotes a value holding a comma or quote as a JSON string.
 */
export function parseSubjectAltName(text: string | undefined): SubjectAltNames {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const match of (text ?? "").matchAll(/(DNS|IP Address):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = match[2]!;
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.trim();
    if (match[1] === "DNS") dnsNames.push(value);
    else ipAddresses.push(canonicalIp(value) ?? value);
  }
  return { dnsNames, ipAddresses };
}

/**
 * One spelling per address, so addresses compare as Go's net.IP.Equal does:
 * IPv4 dotted, IPv4-mapped IPv6 as IPv4, other IPv6 as eight lower-case
 * groups without leading zeros. Undefined when `text` is not an IP.
 */
export function canonicalIp(text: string): string | undefined {
  const address = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return undefined;
  // A trailing dotted quad ("::ffff:1.2.3.4") becomes its two hex groups.
  const body = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_all, a: string, b: string, c: string, d: string) =>
    `${(Number(a) * 256 + Number(b)).toString(16)}:${(Number(c) * 256 + Number(d)).toString(16)}`,
  );
  const [head, rest] = body.split("::") as [string, string | undefined];
  const parse = (part: string): number[] => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)));
  const front = parse(head);
  const back = parse(rest ?? "");
  const groups = rest === undefined ? [...front, ...back] : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  return groups.map((g) => g.toString(16)).join(":");
}

/** Go's Certificate.VerifyHostname: an IP against the IP SANs, a name against the DNS SANs (a leading "*." covers one label). */
export function sanMatchesHost(san: SubjectAltNames, host: string): boolean {
  const ip = canonicalIp(host);
  if (ip !== undefined) return san.ipAddresses.includes(ip);
  const wanted = host.toLowerCase().replace(/\.$/, "");
  return san.dnsNames.some((pattern) => dnsNameMatches(pattern.toLowerCase().replace(/\.$/, ""), wanted));
}

function dnsNameMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith("*.")) return false;
  const dot = host.indexOf(".");
  return dot > 0 && host.slice(dot) === pattern.slice(1);
}
