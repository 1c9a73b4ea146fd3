import { randomInt } from 'node:crypto';
import { randomString } from '../util/ids.js';

/** `LTAI` + 20 alphanumerics, as modern RAM AccessKeyIds (spec ram-sts §4.1). */
export function newAccessKeyId(): string {
  return `LTAI${randomString(20)}`;
}

/** 30 alphanumerics. */
export function newAccessKeySecret(): string {
  return randomString(30);
}

/** A numeric id (UserId, RoleId, internal GroupId) of `digits` digits, no leading zero. */
export function newNumericId(digits: number): string {
  return String(1 + randomInt(9)) + randomString(digits - 1, '0123456789');
}

/** AccessKeyId formats RAM issues (spec ram-sts §4.1): `LTAI` + 20 alphanumerics, or a legacy 16-character id. */
export const ACCESS_KEY_ID_FORMAT = /^(LTAI[A-Za-z0-9]{20}|[A-Za-z0-9]{16})$/;
/**
 * Every AccessKeyId the store can hold: RAM's (ACCESS_KEY_ID_FORMAT) and the accounts' root keys (8–64
 * alphanumerics, accounts/registry.ts). Anything else is answered InvalidAccessKeyId without a lookup, and never
 * remembered: an AccessKeyId is the caller's text (up to a 1 MiB RPC body, a 2 MiB form field), and each
 * unknown one was cached, twice, under its own text.
 */
export const STORED_ACCESS_KEY_ID = /^[A-Za-z0-9]{1,64}$/;
/** STORED_ACCESS_KEY_ID's longest: a longer id is refused before a cache hashes it (strings of up to 16K characters are hashed whole). */
export const STORED_ACCESS_KEY_ID_MAX = 64;
/** An AccessKeySecret RAM issues: 30 alphanumerics. */
export const ACCESS_KEY_SECRET_FORMAT = /^[A-Za-z0-9]{30}$/;
