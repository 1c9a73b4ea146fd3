/**
 * ARNs as requests carry them (spec ram-sts §1.4). OSS request ARNs carry the bucket's region id
 * (e.g. `cn-hangzhou`) and the bucket owner's UID; policies normally write `*` for the region, which
 * matches any region, and a policy naming a concrete region then matches that region literally.
 */

/** `acs:oss:<region>:<owner>:<bucket>` or `…:<bucket>/<key>` (key verbatim, not URL-encoded). */
export function ossResourceArn(region: string, ownerUid: string, bucket: string, key?: string | null): string {
  const base = `acs:oss:${region}:${ownerUid}:${bucket}`;
  return key === undefined || key === null ? base : `${base}/${key}`;
}

/**
 * A KMS key as Alibaba Cloud's KMS names it in RAM policies: `acs:kms:<region>:<owner>:key/<key id>`. Alunite's
 * keys are the names of its local registry (docs/encryption.md); an object's key belongs to the account owning
 * its bucket, in the bucket's region.
 */
export function kmsKeyArn(region: string, ownerUid: string, keyId: string): string {
  return `acs:kms:${region}:${ownerUid}:key/${keyId}`;
}

/** Service-level resource (ListBuckets): `acs:oss:*:<uid>:*` with the caller's account UID. */
export function ossServiceArn(uid: string): string {
  return `acs:oss:*:${uid}:*`;
}

export function ramRootArn(uid: string): string {
  return `acs:ram::${uid}:root`;
}

export function ramUserArn(uid: string, userName: string): string {
  return `acs:ram::${uid}:user/${userName}`;
}

/** Role ARNs are emitted with the lower-cased role name (spec §4.1). */
export function ramRoleArn(uid: string, roleName: string): string {
  return `acs:ram::${uid}:role/${roleName.toLowerCase()}`;
}

/** The form bucket-policy Principals use for role sessions (note `arn:sts`, spec §2.4). */
export function stsAssumedRoleArn(uid: string, roleName: string, sessionName: string): string {
  return `arn:sts::${uid}:assumed-role/${roleName}/${sessionName}`;
}

/**
 * A role ARN as STS's AssumeRole accepts one (spec ram-sts §5.1): `acs:ram::<16-digit account>:role/<name>`, the name
 * 1-64 letters, digits, `.` and `-` (RAM's role names). The one rule for every RoleArn Alunite reads: AssumeRole, the
 * federation APIs, a batch job's RoleArn and its ram:PassRole check, `vend`'s configuration.
 */
export const ROLE_ARN_RE = /^acs:ram::(\d{16}):role\/([A-Za-z0-9.-]{1,64})$/;

/** The account and role name of a role ARN (ROLE_ARN_RE; as a batch job's RoleArn names it); null when it is not one. */
export function roleOfArn(arn: string): { accountId: string; roleName: string } | null {
  const m = ROLE_ARN_RE.exec(arn);
  return m === null ? null : { accountId: m[1]!, roleName: m[2]! };
}
