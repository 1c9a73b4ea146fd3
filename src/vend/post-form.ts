import { POST_V4_ALGORITHM, postPolicyCredential, postPolicyDate, signPostPolicyV4 } from '../oss/post-policy.js';
import type { Issued } from './cache.js';

// A PostObject (browser form upload) for one user's prefix, signed V4 with that user's STS credentials:
// the policy pins the bucket, a `starts-with $key <user>/` condition, the size range and the credential
// fields, and expires soon. Signed with the same functions the server verifies forms with.

export interface PostFormInput {
  creds: Issued;
  bucket: string;
  region: string;
  /** Where the form posts to: the bucket's URL. */
  url: string;
  /** The object key field: `<user>/${filename}` or `<user>/<name>`. */
  key: string;
  prefix: string;
  minSize: number;
  maxSize: number;
  /** Epoch ms when the policy expires. */
  expiresAt: number;
  now: number;
}

export interface PostForm {
  url: string;
  fields: {
    key: string;
    policy: string;
    'x-oss-signature-version': string;
    'x-oss-credential': string;
    'x-oss-date': string;
    'x-oss-signature': string;
    'x-oss-security-token': string;
    success_action_status: string;
  };
  /** When the policy expires (ISO 8601). */
  expiration: string;
}

export function buildPostForm(i: PostFormInput): PostForm {
  const date = postPolicyDate(i.now);
  const credential = postPolicyCredential(i.creds.accessKeyId, date.slice(0, 8), i.region);
  const successActionStatus = '201';
  const expiration = new Date(i.expiresAt).toISOString();
  const policy = {
    expiration,
    conditions: [
      { bucket: i.bucket },
      ['starts-with', '$key', i.prefix],
      ['content-length-range', i.minSize, i.maxSize],
      { success_action_status: successActionStatus },
      { 'x-oss-signature-version': POST_V4_ALGORITHM },
      { 'x-oss-credential': credential },
      { 'x-oss-date': date },
      { 'x-oss-security-token': i.creds.securityToken },
    ],
  };
  const encoded = Buffer.from(JSON.stringify(policy), 'utf8').toString('base64');
  const signature = signPostPolicyV4({ secret: i.creds.accessKeySecret, date: date.slice(0, 8), region: i.region, policyBase64: encoded });
  return {
    url: i.url,
    fields: {
      key: i.key,
      policy: encoded,
      'x-oss-signature-version': POST_V4_ALGORITHM,
      'x-oss-credential': credential,
      'x-oss-date': date,
      'x-oss-signature': signature,
      'x-oss-security-token': i.creds.securityToken,
      success_action_status: successActionStatus,
    },
    expiration,
  };
}

/** Why `name` cannot be an object name under a user's prefix, or null. */
export function unsafeObjectName(name: unknown): string | null {
  if (typeof name !== 'string' || name === '') return 'must be a non-empty string';
  if (Buffer.byteLength(name, 'utf8') > 1000) return 'is longer than 1000 bytes';
  if (name.startsWith('/') || name.startsWith('\\')) return 'must not start with a slash';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  if (name.split('/').some((seg) => seg === '..' || seg === '.')) return 'must not contain "." or ".." path segments';
  if (name.includes('${')) return 'must not contain "${"';
  return null;
}
