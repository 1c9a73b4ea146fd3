// @ts-check
// RAM list helpers shared by the pages.
import { pop, ramArn } from './api.js';
import { list } from './dom.js';

/**
 * Every item of a paged RAM list (follows Marker; at most 20 pages of 100).
 * @param {string} action
 * @param {string} outer
 * @param {string} inner
 * @param {Record<string, string>} [params]
 * @param {string} [resource]
 * @returns {Promise<any[]>}
 */
export async function listAll(action, outer, inner, params = {}, resource = '') {
  /** @type {any[]} */
  const out = [];
  /** @type {string | undefined} */
  let marker;
  for (let i = 0; i < 20; i++) {
    const r = await pop('ram', action, { ...params, MaxItems: 100, Marker: marker }, resource);
    out.push(...list(r, outer, inner));
    if (!r.IsTruncated || !r.Marker) break;
    marker = r.Marker;
  }
  return out;
}

export const listUsers = () => listAll('ListUsers', 'Users', 'User', {}, ramArn('user', '*'));
export const listGroups = () => listAll('ListGroups', 'Groups', 'Group', {}, ramArn('group', '*'));
export const listRoles = () => listAll('ListRoles', 'Roles', 'Role', {}, ramArn('role', '*'));
/** @param {'Custom' | 'System' | ''} [type] */
export const listPolicies = (type = '') => listAll('ListPolicies', 'Policies', 'Policy', type ? { PolicyType: type } : {}, ramArn('policy', '*'));
