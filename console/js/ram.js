// @ts-check
// RAM list helpers shared by the pages.
import { current, pop, ramArn } from './api.js';
import { list } from './dom.js';

/**
 * Every item of a paged RAM list (follows Marker; at most 20 pages of 100).
 * @param {string} action
 * @param {string} outer
 * @param {string} inner
 * @param {Record<string, string>} [params]
 * @param {string} [resource]
 * @param {{quiet?: boolean}} [opts]
 * @returns {Promise<any[]>}
 */
export async function listAll(action, outer, inner, params = {}, resource = '', opts = {}) {
  /** @type {any[]} */
  const out = [];
  /** @type {string | undefined} */
  let marker;
  for (let i = 0; i < 20; i++) {
    const r = await pop('ram', action, { ...params, MaxItems: 100, Marker: marker }, resource, opts);
    out.push(...list(r, outer, inner));
    if (!r.IsTruncated || !r.Marker) break;
    marker = r.Marker;
  }
  return out;
}

export const listUsers = () => listAll('ListUsers', 'Users', 'User', {}, ramArn('user', '*'));
export const listGroups = () => listAll('ListGroups', 'Groups', 'Group', {}, ramArn('group', '*'));
/** @param {{quiet?: boolean}} [opts] */
export const listRoles = (opts = {}) => listAll('ListRoles', 'Roles', 'Role', {}, ramArn('role', '*'), opts);
/** @param {'Custom' | 'System' | ''} [type] */
export const listPolicies = (type = '') => listAll('ListPolicies', 'Policies', 'Policy', type ? { PolicyType: type } : {}, ramArn('policy', '*'));

/**
 * The bucket names in the Resource of the Allow statements of the signed-in principal's own policies
 * (a user's and its groups', or an assumed role's): buckets it may open without ListBuckets. Read with
 * RAM calls the principal may well not be allowed (ListPoliciesFor*, GetPolicy): each refused one is
 * skipped quietly, so the answer is what could be read, possibly nothing. Wildcard names are left out.
 * @returns {Promise<string[]>}
 */
export async function bucketsFromOwnPolicies() {
  const who = current();
  if (!who) return [];
  const arn = who.identity.Arn;
  const quiet = { quiet: true };
  /** @type {Array<{PolicyName: string, PolicyType: string}>} */
  const attached = [];
  const collect = async (/** @type {string} */ action, /** @type {Record<string, string>} */ params, /** @type {string} */ resource) => {
    const r = await pop('ram', action, params, resource, quiet).catch(() => null);
    attached.push(...list(r, 'Policies', 'Policy'));
  };
  const user = /:user\/(.+)$/.exec(arn)?.[1];
  const role = /:assumed-role\/([^/]+)\//.exec(arn)?.[1];
  if (user !== undefined) {
    await collect('ListPoliciesForUser', { UserName: user }, ramArn('user', user));
    const groups = await pop('ram', 'ListGroupsForUser', { UserName: user }, ramArn('user', user), quiet).catch(() => null);
    for (const g of list(groups, 'Groups', 'Group')) await collect('ListPoliciesForGroup', { GroupName: g.GroupName }, ramArn('group', g.GroupName));
  } else if (role !== undefined) {
    await collect('ListPoliciesForRole', { RoleName: role }, ramArn('role', role));
  }
  /** @type {Set<string>} */
  const buckets = new Set();
  const seen = new Set();
  for (const p of attached) {
    const id = `${p.PolicyType}:${p.PolicyName}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const got = await pop('ram', 'GetPolicy', { PolicyName: p.PolicyName, PolicyType: p.PolicyType }, ramArn('policy', p.PolicyName), quiet).catch(() => null);
    const text = got?.DefaultPolicyVersion?.PolicyDocument;
    if (typeof text === 'string') for (const b of bucketsIn(text)) buckets.add(b);
  }
  return [...buckets].sort();
}

/**
 * Bucket names in a policy document's Allow statements' Resources (`acs:oss:<region>:<account>:<bucket>[/<key>]`).
 * @param {string} text
 * @returns {string[]}
 */
export function bucketsIn(text) {
  /** @type {any} */
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const statements = Array.isArray(doc?.Statement) ? doc.Statement : doc?.Statement ? [doc.Statement] : [];
  /** @type {string[]} */
  const out = [];
  for (const st of statements) {
    if (st?.Effect !== 'Allow') continue;
    const resources = Array.isArray(st.Resource) ? st.Resource : typeof st.Resource === 'string' ? [st.Resource] : [];
    for (const r of resources) {
      const m = /^acs:oss:[^:]*:[^:]*:([^/]+)/.exec(String(r));
      const bucket = m?.[1];
      if (bucket && /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) out.push(bucket);
    }
  }
  return out;
}
