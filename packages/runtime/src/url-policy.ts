/**
 * The outbound-address policy: which hosts the server may connect to on a
 * client's behalf (`Path` inputs given as URLs, webhooks). By default only
 * http(s) URLs whose host resolves to public unicast addresses: loopback,
 * private, shared (100.64/10), link-local (cloud metadata), multicast and
 * reserved ranges are refused. The check runs inside the socket's own DNS
 * lookup (`policyLookup`), so the address checked is the address connected to.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";

/** What outbound requests may reach. */
export interface UrlPolicy {
  /** Also allow loopback, private, link-local and other non-public addresses (local development). Default false. */
  allowPrivate?: boolean;
  /** Hosts allowed whatever they resolve to: exact names or IPs, or `*.example.com` for its subdomains. */
  trustedHosts?: readonly string[];
}

/** A URL the policy refuses; `reason` is for server-side logs only (it may name internal addresses). */
export class UrlPolicyError extends Error {
  constructor(readonly reason: string) {
    super(`refused by the server's URL policy: ${reason}`);
    this.name = "UrlPolicyError";
  }
}

function ipv4ToInt(address: string): number {
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

/** Non-public IPv4 ranges (IANA special-purpose registry), as [first address, prefix length]. */
const V4_BLOCKED: [string, number][] = [
  ["0.0.0.0", 8], // "this network", incl. 0.0.0.0
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT (some cloud metadata services)
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, incl. 169.254.169.254
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, incl. 255.255.255.255
];
const V4_RANGES = V4_BLOCKED.map(([base, bits]) => {
  const size = 2 ** (32 - bits);
  const start = ipv4ToInt(base);
  return [start, start + size - 1] as const;
});

function isPublicIpv4(address: string): boolean {
  const n = ipv4ToInt(address);
  return !V4_RANGES.some(([start, end]) => n >= start && n <= end);
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, trailing dotted IPv4 allowed). */
function ipv6Groups(address: string): number[] {
  let text = address.split("%")[0]!.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = ipv4ToInt(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (s: string | undefined) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
}

const groupsToIpv4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

function isPublicIpv6(address: string): boolean {
  const g = ipv6Groups(address);
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return isPublicIpv4(groupsToIpv4(g[6]!, g[7]!)); // ::ffff:a.b.c.d (IPv4-mapped)
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return isPublicIpv4(groupsToIpv4(g[6]!, g[7]!)); // NAT64
  if (g[0] === 0x2002) return isPublicIpv4(groupsToIpv4(g[1]!, g[2]!)); // 6to4
  if ((g[0]! & 0xe000) !== 0x2000) return false; // outside global unicast 2000::/3: ::, ::1, fc00::/7, fe80::/10, ff00::/8 ...
  if (g[0] === 0x2001 && g[1]! < 0x200) return false; // 2001::/23 protocol assignments (Teredo, ...)
  if (g[0] === 0x2001 && g[1] === 0xdb8) return false; // documentation
  if (g[0] === 0x3fff && g[1]! < 0x1000) return false; // documentation
  return true;
}

/** True for a public unicast IPv4 or IPv6 address; false for anything else, including non-addresses. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address.split("%")[0]!);
  if (family === 4) return isPublicIpv4(address);
  if (family === 6) return isPublicIpv6(address);
  return false;
}

/** A URL's host without IPv6 brackets, lower case. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

/** True when `url`'s host is one of the policy's trusted hosts. */
export function isTrustedHost(url: URL, policy: UrlPolicy): boolean {
  const host = bareHost(url);
  return (policy.trustedHosts ?? []).some((entry) => {
    const pattern = entry.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
    return pattern.startsWith("*.") ? host.endsWith(pattern.slice(1)) : host === pattern;
  });
}

/**
 * Checks what can be checked before connecting: the scheme, and the address
 * when the host is an IP literal (WHATWG URL parsing has already turned
 * `2130706433` or `0x7f.1` into `127.0.0.1`). Named hosts are checked by
 * `policyLookup` when the socket resolves them. Throws `UrlPolicyError`.
 */
export function checkUrl(url: URL, policy: UrlPolicy): void {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UrlPolicyError(`scheme ${url.protocol} is not http(s)`);
  if (policy.allowPrivate || isTrustedHost(url, policy)) return;
  const host = bareHost(url);
  if (isIP(host) && !isPublicAddress(host)) throw new UrlPolicyError(`${host} is not a public address`);
}

/**
 * A `lookup` for `net.connect` / `http.request` that resolves every address of
 * the host and fails with `UrlPolicyError` unless all of them are public, so
 * the connection goes to an address that was checked (no DNS rebinding).
 */
export function policyLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const refused = policy.allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused) return callback(new UrlPolicyError(`${hostname} resolves to ${refused.address}, not a public address`) as NodeJS.ErrnoException, "", 0);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
