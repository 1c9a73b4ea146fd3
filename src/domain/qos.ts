import { AppError, invalidArgument } from '../errors.js';

// QoS (throttling) configurations, docs/qos.md: the account's limits as GetUserQoSInfo shows them, a bucket's
// own limits (Put/Get/DeleteBucketQoSInfo) and per-requester limits on a bucket (…BucketRequesterQoSInfo).
// Rules only, no HTTP. Alunite enforces none of these limits (it has no account- or bucket-wide throttle; the one
// throttle it has is a request's own x-oss-traffic-limit): the configurations are validated as OSS validates
// them, stored and given back.

/** The fields of a QoS configuration, in the published element order (api-docs schema QoSConfiguration). */
export const QOS_FIELDS = [
  'TotalUploadBandwidth',
  'IntranetUploadBandwidth',
  'ExtranetUploadBandwidth',
  'TotalDownloadBandwidth',
  'IntranetDownloadBandwidth',
  'ExtranetDownloadBandwidth',
  'TotalQps',
  'IntranetQps',
  'ExtranetQps',
] as const;

export type QoSField = (typeof QOS_FIELDS)[number];

/** A QoS configuration: bandwidths in Gbit/s, QPS in requests per second; -1 = no limit, 0 = refused. */
export type QoSConfig = Readonly<Record<QoSField, number>>;

/** The three groups: each total and the two parts (internal and public networks) it bounds. */
const GROUPS: ReadonlyArray<readonly [QoSField, QoSField, QoSField]> = [
  ['TotalUploadBandwidth', 'IntranetUploadBandwidth', 'ExtranetUploadBandwidth'],
  ['TotalDownloadBandwidth', 'IntranetDownloadBandwidth', 'ExtranetDownloadBandwidth'],
  ['TotalQps', 'IntranetQps', 'ExtranetQps'],
];

/** OSS's EC for a QoS configuration whose values are wrong or contradict each other (0004-00000114). */
export const INVALID_QOS_EC = '0004-00000114';
/** A bucket without a QoS configuration for that requester (0004-00000003; the bucket's own: errors.ts). */
export const NO_REQUESTER_QOS_EC = '0004-00000003';

/** At most this many requester configurations per bucket (an Alunite bound: one stored document ≤ 64 KiB). */
export const MAX_REQUESTERS = 100;

/** Largest value taken: far above any real limit, small enough to stay an exact integer everywhere. */
const MAX_VALUE = 1_000_000_000;

/** A configuration with every field unset (-1: no limit), as OSS fills in the fields a Put leaves out. */
export function unlimited(): Record<QoSField, number> {
  return Object.fromEntries(QOS_FIELDS.map((f) => [f, -1])) as Record<QoSField, number>;
}

/**
 * The account's limits in `region` as GetUserQoSInfo answers them: OSS's documented defaults (Limits page:
 * 10 Gbit/s of upload and of download per account in the regions of the Chinese mainland, 5 Gbit/s elsewhere, the
 * internal and public parts without a separate limit; 10,000 requests per second). Alunite does not enforce them.
 */
export function userQoS(region: string): QoSConfig {
  const bandwidth = region.startsWith('cn-') ? 10 : 5;
  return {
    ...unlimited(),
    TotalUploadBandwidth: bandwidth,
    TotalDownloadBandwidth: bandwidth,
    TotalQps: 10_000,
  };
}

const refuse = (message: string, field: QoSField, value: number | string): AppError => {
  const err = invalidArgument(message, field, String(value));
  return new AppError('InvalidArgument', err.message, err.detail, INVALID_QOS_EC);
};

/** A field's text: an integer from -1 up (InvalidArgument otherwise). */
export function qosValue(field: QoSField, text: string): number {
  const t = text.trim();
  if (!/^-?\d{1,10}$/.test(t)) throw refuse(`${field} must be an integer (-1 for no limit).`, field, text.slice(0, 64));
  const n = Number(t);
  if (n < -1 || n > MAX_VALUE) throw refuse(`${field} must be -1 (no limit), 0 or a positive integer up to ${MAX_VALUE}.`, field, t);
  return n;
}

/**
 * The rules of a configuration bounded by `limit` (the account's limits): within each group a part never exceeds
 * its total (a total of -1 bounds nothing), and no value exceeds the limit's same field nor the limit's total of
 * its group, where those are limits (not -1). Throws InvalidArgument (EC 0004-00000114) naming the field.
 */
export function checkQoS(config: QoSConfig, limit: QoSConfig): void {
  for (const [total, ...parts] of GROUPS) {
    const t = config[total];
    for (const part of parts) {
      const v = config[part];
      if (t >= 0 && v > t) throw refuse(`${part} (${v}) must not exceed ${total} (${t}).`, part, v);
    }
    for (const f of [total, ...parts]) {
      const v = config[f];
      const caps = [limit[f], limit[total]].filter((c) => c >= 0);
      const cap = caps.length === 0 ? -1 : Math.min(...caps);
      if (cap >= 0 && v > cap) throw refuse(`${f} (${v}) must not exceed the account's limit (${cap}), as GetUserQoSInfo shows it.`, f, v);
    }
  }
}

/** What a requester UID may hold: 1–64 letters, digits, `.`, `_`, `-`. */
export const REQUESTER_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The stored form of a bucket's requester configurations: requester → configuration. */
export type RequesterQoS = Readonly<Record<string, QoSConfig>>;

/** The requester configurations after a Put of `config` for `requester` (at most MAX_REQUESTERS). */
export function withRequester(current: RequesterQoS, requester: string, config: QoSConfig): RequesterQoS {
  if (!Object.hasOwn(current, requester) && Object.keys(current).length >= MAX_REQUESTERS) {
    throw invalidArgument(`A bucket takes at most ${MAX_REQUESTERS} requester QoS configurations in Alunite.`, 'qosRequester', requester);
  }
  return { ...current, [requester]: config };
}

/**
 * One page of requester configurations in requester order, from `from` on (inclusive: the API's continuation-token
 * is "the requester from which the configurations are returned"); `next` is the first requester of the next page.
 */
export function requesterPage(all: RequesterQoS, from: string, max: number): { items: Array<[string, QoSConfig]>; next: string | null } {
  const sorted = Object.keys(all).filter((r) => r >= from).sort();
  const items = sorted.slice(0, max).map((r): [string, QoSConfig] => [r, all[r]!]);
  return { items, next: sorted.length > max ? sorted[max]! : null };
}
