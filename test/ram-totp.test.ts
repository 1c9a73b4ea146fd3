// The pieces of virtual MFA and login profiles on their own: RFC 6238 / RFC 4648 vectors and scrypt hashes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base32Decode, base32Encode, consecutiveCodesStep, totpCode, totpStep } from '../src/ram/totp.js';
import { checkPassword, DEFAULT_PASSWORD_POLICY, hashPassword, verifyPassword } from '../src/ram/passwords.js';

test('RFC 6238 SHA-1 vectors (last 6 digits of the 8-digit codes)', () => {
  const seed = Buffer.from('12345678901234567890');
  const vectors: Array<[number, string]> = [[59, '287082'], [1111111109, '081804'], [1111111111, '050471'], [1234567890, '005924'], [2000000000, '279037'], [20000000000, '353130']];
  for (const [seconds, code] of vectors) assert.equal(totpCode(seed, totpStep(seconds * 1000)), code, `T=${seconds}`);
});

test('RFC 4648 base32 vectors, both ways', () => {
  const vectors: Array<[string, string]> = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']];
  for (const [plain, encoded] of vectors) {
    assert.equal(base32Encode(Buffer.from(plain)), encoded);
    assert.equal(base32Decode(encoded).toString(), plain);
  }
  assert.throws(() => base32Decode('not base32!'));
});

test('BindMFADevice codes: two consecutive steps ending now or one step off; nothing else', () => {
  const seed = Buffer.from('12345678901234567890');
  const now = 1_700_000_000_000;
  const s = totpStep(now);
  assert.equal(consecutiveCodesStep(seed, totpCode(seed, s - 1), totpCode(seed, s), now), s - 1);
  assert.equal(consecutiveCodesStep(seed, totpCode(seed, s - 2), totpCode(seed, s - 1), now), s - 2);
  assert.equal(consecutiveCodesStep(seed, totpCode(seed, s), totpCode(seed, s + 1), now), s);
  assert.equal(consecutiveCodesStep(seed, totpCode(seed, s - 3), totpCode(seed, s - 2), now), null, 'too old');
  assert.equal(consecutiveCodesStep(seed, totpCode(seed, s), totpCode(seed, s - 1), now), null, 'reversed');
  assert.equal(consecutiveCodesStep(seed, '12345', '123456', now), null);
});

test('passwords: scrypt hashes verify only the same password; the policy names the rule broken', async () => {
  const hash = await hashPassword('Abcdefg1');
  assert.match(hash, /^scrypt\$16384\$8\$1\$/);
  assert.notEqual(hash, await hashPassword('Abcdefg1'), 'salted');
  assert.equal(await verifyPassword('Abcdefg1', hash), true);
  assert.equal(await verifyPassword('Abcdefg2', hash), false);
  assert.equal(await verifyPassword('Abcdefg1', 'garbage'), false);
  assert.throws(() => checkPassword('abcdefg1', DEFAULT_PASSWORD_POLICY), /uppercase/);
  assert.throws(() => checkPassword('Abc defg1', DEFAULT_PASSWORD_POLICY), /printable ASCII/);
  assert.throws(() => checkPassword(`Ab1${'x'.repeat(30)}`, DEFAULT_PASSWORD_POLICY), /at most 32/);
  checkPassword('Abcdefg1', DEFAULT_PASSWORD_POLICY);
});
