import ipaddr from 'ipaddr.js';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a server-side fetch must never reach. IPv4: everything but plain unicast (loopback,
 * private, link-local with the cloud metadata address, CGNAT, unspecified, broadcast, multicast,
 * reserved and documentation ranges), using ipaddr.js's table of special ranges. IPv6: only global
 * unicast (2000::/3) outside its special ranges, and every form that embeds or translates an IPv4
 * address (IPv4-compatible ::/96, mapped ::ffff:0:0/96, translated ::ffff:0:0:0/96, NAT64
 * 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32) is judged by the IPv4
 * address inside, whatever text form it came in.
 */

/** Names of the rules a refusal gives (never the address itself: that would tell what a host resolves to). */
const RULE_NAMES: Record<string, string> = {
  unspecified: 'unspecified address',
  broadcast: 'broadcast address',
  multicast: 'multicast',
  linkLocal: 'link-local (cloud metadata included)',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private network',
  uniqueLocal: 'private network (unique local)',
  deprecatedSiteLocal: 'private network (site-local)',
  reserved: 'reserved or documentation range',
};

const ruleName = (range: string): string => RULE_NAMES[range] ?? `special-purpose range (${range})`;

const v4From = (bytes: number[], at: number): ipaddr.IPv4 => new ipaddr.IPv4(bytes.slice(at, at + 4));

/** RFC 6052: where the IPv4 address sits for each prefix length (bits 64-71 are skipped). */
const NAT64_OFFSETS: Record<number, number[]> = { 48: [6, 7, 9, 10], 56: [7, 9, 10, 11], 64: [9, 10, 11, 12], 96: [12, 13, 14, 15] };

/** The IPv4 addresses an IPv6 address stands for, and the name of its form; undefined when it embeds none. */
function embeddedV4(v6: ipaddr.IPv6): { form: string; addresses: ipaddr.IPv4[] } | undefined {
  const bytes = v6.toByteArray();
  const range = v6.range();
  if (range === 'ipv4Mapped') return { form: 'IPv4-mapped', addresses: [v4From(bytes, 12)] };
  if (range === 'rfc6145') return { form: 'IPv4-translated', addresses: [v4From(bytes, 12)] };
  if (range === '6to4') return { form: '6to4', addresses: [v4From(bytes, 2)] };
  // Teredo: the server in clear, the client's address inverted; both are reached
  if (range === 'teredo')
    return { form: 'Teredo', addresses: [v4From(bytes, 4), new ipaddr.IPv4(bytes.slice(12, 16).map((b) => b ^ 0xff))] };
  if (range === 'rfc6052') {
    // the well-known prefix is a /96; the local-use 64:ff9b:1::/48 may carry any RFC 6052 prefix length within it
    const lengths = v6.match(ipaddr.parseCIDR('64:ff9b::/96')) ? [96] : [48, 56, 64, 96];
    return { form: 'NAT64', addresses: lengths.map((length) => new ipaddr.IPv4(NAT64_OFFSETS[length].map((i) => bytes[i]))) };
  }
  if (range === 'unicast' && bytes.slice(0, 12).every((b) => b === 0)) return { form: 'IPv4-compatible', addresses: [v4From(bytes, 12)] };
  return undefined;
}

const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

/**
 * The address in the form whose bytes the system connects to. ipaddr.js reads the deprecated
 * `::a.b.c.d` as `::ffff:a.b.c.d`, so IPv6 text is first written as hex by the WHATWG URL
 * serializer (RFC 5952); the zone index only matters to link-local addresses, refused anyway.
 */
function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  if (isIP(address) === 4) return ipaddr.IPv4.parse(address);
  const canonical = new URL(`http://[${address.replace(/%.*$/s, '')}]/`).hostname.slice(1, -1);
  return ipaddr.IPv6.parse(canonical);
}

/** Why a fetch may not reach `address` (the rule's name), or undefined when it is public. */
export function blockedBy(address: string): string | undefined {
  if (!isIP(address)) return 'not an IP address';
  const parsed = parse(address);
  if (parsed.kind() === 'ipv4') {
    const range = parsed.range();
    return range === 'unicast' ? undefined : ruleName(range);
  }
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'loopback' || range === 'unspecified') return ruleName(range);
  const embedded = embeddedV4(v6);
  if (embedded) {
    for (const v4 of embedded.addresses) {
      const inner = v4.range();
      if (inner !== 'unicast') return `${ruleName(inner)}, inside an ${embedded.form} IPv6 address`;
    }
    return undefined;
  }
  if (range !== 'unicast') return ruleName(range);
  return v6.match(GLOBAL_UNICAST) ? undefined : 'not global unicast IPv6';
}

export const isBlockedAddress = (address: string): boolean => blockedBy(address) !== undefined;

/** The allow-list setting: addresses or CIDR ranges, IPv4 or IPv6. */
export function allowList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address);
    if (!family) throw new Error(`SATCHEL_FETCH_ALLOWED_HOSTS: ${entry} is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

export const isAllowed = (list: BlockList, address: string): boolean => {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
};
