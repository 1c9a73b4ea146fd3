import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

// RAM user passwords (docs/ram.md): stored as scrypt hashes, never returned, checked against the account's
// password policy on CreateLoginProfile, UpdateLoginProfile and ChangePassword.

const N = 16384;
const R = 8;
const P = 1;
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LEN, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$<salt b64>$<hash b64>`. scrypt runs on libuv's thread pool, not the event loop. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await derive(password, Buffer.from(parts[4]!, 'base64'), n, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** GetPasswordPolicy / SetPasswordPolicy (field names as on the wire, minus the casing). */
export interface PasswordPolicy {
  minimumPasswordLength: number;
  requireLowercaseCharacters: boolean;
  requireUppercaseCharacters: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
  hardExpiry: boolean;
  /** Days; 0 = passwords never expire. */
  maxPasswordAge: number;
  /** How many previous passwords may not be reused; 0 = no history. */
  passwordReusePrevention: number;
  /** Failed sign-ins within an hour before the user is locked for an hour; 0 = no lock. */
  maxLoginAttemps: number;
}

/** A new account's policy (docs/ram.md). */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minimumPasswordLength: 8,
  requireLowercaseCharacters: true,
  requireUppercaseCharacters: true,
  requireNumbers: true,
  requireSymbols: false,
  hardExpiry: false,
  maxPasswordAge: 0,
  passwordReusePrevention: 0,
  maxLoginAttemps: 5,
};

/** Bounds of SetPasswordPolicy's integers (InvalidParameter.PasswordPolicy outside them). */
export const PASSWORD_POLICY_BOUNDS = {
  minimumPasswordLength: [8, 32],
  maxPasswordAge: [0, 1095],
  passwordReusePrevention: [0, 24],
  maxLoginAttemps: [0, 32],
} as const;

/** Longest password accepted at all (RAM: 32 characters). */
export const MAX_PASSWORD_LENGTH = 32;

const SYMBOL = /[!-/:-@[-`{-~]/;

/** Throws InvalidParameter.Password naming the first rule the password breaks. */
export function checkPassword(password: string, policy: PasswordPolicy): void {
  const fail = (why: string): never => {
    throw new AppError('InvalidParameter.Password', `The parameter - "Password" does not satisfy the password policy: ${why}.`);
  };
  if (!/^[\x21-\x7e]*$/.test(password)) fail('only printable ASCII characters without spaces are allowed');
  if (password.length > MAX_PASSWORD_LENGTH) fail(`it must be at most ${MAX_PASSWORD_LENGTH} characters`);
  if (password.length < policy.minimumPasswordLength) fail(`it must be at least ${policy.minimumPasswordLength} characters`);
  if (policy.requireLowercaseCharacters && !/[a-z]/.test(password)) fail('it must contain a lowercase letter');
  if (policy.requireUppercaseCharacters && !/[A-Z]/.test(password)) fail('it must contain an uppercase letter');
  if (policy.requireNumbers && !/[0-9]/.test(password)) fail('it must contain a digit');
  if (policy.requireSymbols && !SYMBOL.test(password)) fail('it must contain a symbol');
}
