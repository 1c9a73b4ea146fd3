/**
 * IP patterns for IpAddress / NotIpAddress (spec ram-sts §1.6): a single IPv4/IPv6 address, a CIDR
 * block, or (OSS extension) an IPv4 address with `*` octets such as `101.*.*.100`. Addresses are
 * held as 8 16-bit groups; IPv4 (and IPv4-mapped IPv6, as Node reports dual-stack clients) use the
 * `::ffff:a.b.c.d` form so one comparison serves both families.
 */
export type IpGroups = readonly number[]; // length 8

export interface IpPattern {
  readonly source: string;
  matches(ip: IpGroups): boolean;
}

const V4_PREFIX = [0, 0, 0, 0, 0, 0xffff];

function parseV4Octets(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

function v4Groups(o: readonly number[]): number[] {
  return [...V4_PREFIX, ((o[0] as number) << 8) | (o[1] as number), ((o[2] as number) << 8) | (o[3] as number)];
}

let lastText = '';
let lastGroups: IpGroups | null = null;

/** Parses an IPv4 or IPv6 address (no zone id) into 8 groups; null if it is not one. */
export function parseIp(s: string): IpGroups | null {
  // One request tests the same acs:SourceIp against many statements: remember the last one.
  if (s === lastText) return lastGroups;
  const g = parseIpUncached(s);
  lastText = s;
  lastGroups = g;
  return g;
}

function parseIpUncached(s: string): IpGroups | null {
  if (!s.includes(':')) {
    const o = parseV4Octets(s);
    return o ? v4Groups(o) : null;
  }
  let text = s;
  let tailV4: number[] | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    const o = parseV4Octets(text.slice(lastColon + 1));
    if (!o) return null;
    tailV4 = [((o[0] as number) << 8) | (o[1] as number), ((o[2] as number) << 8) | (o[3] as number)];
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (!head || !tail) return null;
  let groups: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    groups = head;
  }
  if (tailV4) {
    groups[6] = tailV4[0] as number;
    groups[7] = tailV4[1] as number;
  }
  return groups;
}

/** Parses a policy value; null if it is not a valid IP, CIDR or wildcard IPv4 pattern. */
export function parseIpPattern(source: string): IpPattern | null {
  if (source.includes('*')) {
    const parts = source.split('.');
    if (parts.length !== 4) return null;
    const octets: Array<number | null> = [];
    for (const p of parts) {
      if (p === '*') octets.push(null);
      else {
        const o = parseV4Octets(`${p}.0.0.0`);
        if (!o) return null;
        octets.push(o[0] as number);
      }
    }
    return {
      source,
      matches(ip) {
        for (let i = 0; i < 6; i++) if (ip[i] !== V4_PREFIX[i]) return false;
        const got = [(ip[6] as number) >> 8, (ip[6] as number) & 0xff, (ip[7] as number) >> 8, (ip[7] as number) & 0xff];
        return octets.every((o, i) => o === null || o === got[i]);
      },
    };
  }
  const slash = source.indexOf('/');
  const addrText = slash < 0 ? source : source.slice(0, slash);
  const addr = parseIp(addrText);
  if (!addr) return null;
  const isV4 = !addrText.includes(':');
  let bits = 128;
  if (slash >= 0) {
    const lenText = source.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return null;
    const len = Number(lenText);
    if (len > (isV4 ? 32 : 128)) return null;
    bits = isV4 ? 96 + len : len;
  }
  // Mask per group, computed once.
  const masks = Array.from({ length: 8 }, (_, i) => {
    const b = Math.max(0, Math.min(16, bits - 16 * i));
    return b === 0 ? 0 : (0xffff << (16 - b)) & 0xffff;
  });
  const want = addr.map((g, i) => g & (masks[i] as number));
  return {
    source,
    matches(ip) {
      for (let i = 0; i < 8; i++) if (((ip[i] as number) & (masks[i] as number)) !== want[i]) return false;
      return true;
    },
  };
}
