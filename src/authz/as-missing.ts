import type { AuthzDeps } from './authorize.js';

/**
 * The same authorization inputs, except that `bucket/key` reads as missing: deciding with these says what a
 * caller would be answered for a key that does not exist (its bucket's ACL stands in for the object's own).
 * Website answers use it so that a private object and a missing one look alike (docs/website.md).
 */
export function asIfMissing(deps: AuthzDeps, bucket: string, key: string): AuthzDeps {
  const hidden = (b: string, k: string): boolean => b === bucket && k === key;
  return {
    getBucket: (name) => deps.getBucket(name),
    getObject: (b, k) => (hidden(b, k) ? Promise.resolve(null) : deps.getObject(b, k)),
    getObjectVersion: (b, k, v) => (hidden(b, k) ? Promise.resolve(null) : deps.getObjectVersion(b, k, v)),
    identity: deps.identity,
    region: deps.region,
  };
}
