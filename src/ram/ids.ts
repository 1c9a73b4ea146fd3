import { randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** `LTAI` + 20 alphanumerics, as modern RAM AccessKeyIds (spec ram-sts §4.1). */
export function newAccessKeyId(): string {
  return `LTAI${randomString(ALNUM, 20)}`;
}

/** 30 alphanumerics. */
export function newAccessKeySecret(): string {
  return randomString(ALNUM, 30);
}

/** A numeric id (UserId, RoleId, internal GroupId) of `digits` digits, no leading zero. */
export function newNumericId(digits: number): string {
  return String(1 + randomInt(9)) + randomString('0123456789', digits - 1);
}
