// The declared starting state (docs/init.md) as the rest of the server uses it: every reference resolved
// (secrets from the environment, `file:` documents read, policy types known), every field validated.
import type { CorsConfig } from '../domain/model.js';
import type { AccessKeyStatus, PolicyType } from '../ram/model.js';
import type { DeclaredOidcProvider, DeclaredSamlProvider } from './providers.js';
import type { DeclaredBucketConfigs } from './bucket-configs.js';

/** Where a declaration is in the file, for errors found while applying it. */
export interface Where {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the field, e.g. `users[0].accessKeys[1].id`. */
  field: string;
}

export interface PolicyRef {
  name: string;
  type: PolicyType;
  at: Where;
}

export interface DeclaredAccessKey {
  id: string;
  /** Plain text (after `${ENV}` substitution); sealed by RamService like any other secret. */
  secret: string;
  status: AccessKeyStatus;
  at: Where;
}

export interface DeclaredUser {
  name: string;
  displayName?: string;
  comments?: string;
  email?: string;
  mobilePhone?: string;
  accessKeys: DeclaredAccessKey[];
  policies: PolicyRef[];
  at: Where;
}

export interface DeclaredGroup {
  name: string;
  comments?: string;
  members: string[];
  policies: PolicyRef[];
  at: Where;
}

export interface DeclaredPolicy {
  name: string;
  description?: string;
  /** Policy JSON text as CreatePolicy receives it. */
  document: string;
  at: Where;
}

export interface DeclaredRole {
  name: string;
  description?: string;
  maxSessionDuration?: number;
  /** Trust policy JSON text. */
  trustPolicy: string;
  policies: PolicyRef[];
  at: Where;
}

export interface DeclaredObject {
  key: string;
  /** Absolute path of the local file. */
  file: string;
  contentType: string;
  at: Where;
}

/** Versioning, lifecycle, WORM and encryption come from DeclaredBucketConfigs (init/bucket-configs.ts). */
export interface DeclaredBucket extends DeclaredBucketConfigs {
  name: string;
  acl?: string;
  storageClass?: string;
  redundancyType?: string;
  /** Bucket policy JSON text. */
  policy?: string;
  cors?: CorsConfig;
  objects: DeclaredObject[];
  at: Where;
}

export interface DeclaredAccount {
  id?: string;
  rootAccessKey?: { id: string; secret: string };
}

export interface InitState {
  /** Absolute path of the state file. */
  file: string;
  account?: DeclaredAccount;
  users: DeclaredUser[];
  groups: DeclaredGroup[];
  policies: DeclaredPolicy[];
  roles: DeclaredRole[];
  buckets: DeclaredBucket[];
  /** Accounts besides the server's own (docs/accounts.md), each with its RAM entities and buckets. */
  accounts?: DeclaredOtherAccount[];
  /** IMS identity providers of the account (init/providers.ts). */
  oidcProviders?: DeclaredOidcProvider[];
  samlProviders?: DeclaredSamlProvider[];
}

export interface DeclaredOtherAccount {
  id: string;
  name?: string;
  rootAccessKey: { id: string; secret: string };
  /** The account's users, groups, policies, roles and buckets (its `accounts` and `account` stay empty). */
  state: InitState;
  at: Where;
}

/** One fault of a state file. */
export interface InitFault {
  file: string;
  line: number;
  column: number;
  field: string;
  message: string;
}

export function formatFault(f: InitFault): string {
  // Line 0: the file as a whole (it cannot be read), no place inside it.
  return `${f.file}${f.line > 0 ? `:${f.line}:${f.column}` : ''}: ${f.field === '' ? '' : `${f.field}: `}${f.message}`;
}

/** A state file that cannot be applied: every fault found, each with its line and field. */
export class InitFileError extends Error {
  constructor(readonly file: string, readonly faults: InitFault[]) {
    super(`${file}: ${faults.length} error${faults.length === 1 ? '' : 's'} in the state file:\n${faults.map((f) => `  ${formatFault(f)}`).join('\n')}`);
    this.name = 'InitFileError';
  }
}

/** A declaration the server refused while applying it (e.g. a limit); names where it is declared. */
export class InitApplyError extends Error {
  constructor(readonly at: Where, override readonly cause: unknown) {
    const detail = cause instanceof Error ? ('code' in cause && typeof cause.code === 'string' ? `${cause.code}: ${cause.message}` : cause.message) : String(cause);
    super(`${at.file}:${at.line}:${at.column}: ${at.field}: could not apply: ${detail}`);
    this.name = 'InitApplyError';
  }
}

/** Runs one declaration's step; a refusal names where the declaration is (an inner step's own place stays). */
export async function applyStep<T>(at: Where, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InitApplyError) throw err;
    throw new InitApplyError(at, err);
  }
}
