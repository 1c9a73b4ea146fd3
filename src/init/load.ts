// Reads and validates a state file (YAML or JSON) completely before anything is applied: every fault is
// collected with its line, column and field, so one run shows them all.
import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { validateCors } from '../domain/cors.js';
import { BUCKET_ACLS, REDUNDANCY_TYPES, STORAGE_CLASSES, type CorsConfig, type CorsRule } from '../domain/model.js';
import { isValidBucketName } from '../domain/names.js';
import { isAppError } from '../errors.js';
import { parsePolicy } from '../policy/parse.js';
import { ACCESS_KEY_ID_FORMAT, ACCESS_KEY_SECRET_FORMAT } from '../ram/ids.js';
import { DEFAULT_RAM_LIMITS, type PolicyType } from '../ram/model.js';
import { checkField, MAX_SESSION_DURATION, MIN_SESSION_DURATION, type NamedField } from '../ram/names.js';
import { systemPolicy } from '../ram/system-policies.js';
import { checkProviders } from './providers.js';
import { checkAccounts } from './accounts.js';
import { BUCKET_CONFIG_FIELDS, readBucketConfigs } from './bucket-configs.js';
import {
  InitFileError,
  type DeclaredAccessKey,
  type DeclaredBucket,
  type DeclaredGroup,
  type DeclaredObject,
  type DeclaredPolicy,
  type DeclaredRole,
  type DeclaredUser,
  type InitFault,
  type InitState,
  type PolicyRef,
  type Where,
} from './state.js';

export type Path = Array<string | number>;
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** Bucket features the state file will declare once the server has them. */
const NOT_SUPPORTED_YET: Record<string, string> = {};

const CONTENT_TYPES: Record<string, string> = {
  '.txt': 'text/plain', '.html': 'text/html', '.htm': 'text/html', '.css': 'text/css', '.js': 'application/javascript',
  '.mjs': 'application/javascript', '.json': 'application/json', '.xml': 'application/xml', '.csv': 'text/csv',
  '.md': 'text/markdown', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif',
  '.svg': 'image/svg+xml', '.webp': 'image/webp', '.ico': 'image/x-icon', '.pdf': 'application/pdf', '.zip': 'application/zip',
  '.gz': 'application/gzip', '.wasm': 'application/wasm', '.mp4': 'video/mp4', '.mp3': 'audio/mpeg',
};

/** The Content-Type an object gets when its declaration names none: by file extension, else binary. */
export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function fieldName(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

export class Checker {
  /** Turns a path of the part being checked into the file's (an entry of `accounts:` is checked like a whole file). */
  private pathMap: (p: Path) => Path = (p) => p;
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly env: NodeJS.ProcessEnv,
    readonly faults: InitFault[] = [],
  ) {}

  /** A checker of the part of the file at `base`, whose faults are this one's (init/accounts.ts). */
  scoped(base: Path): Checker {
    const sub = new Checker(this.file, this.doc, this.lines, this.env, this.faults);
    sub.pathMap = (p) => [...base, ...p];
    return sub;
  }

  /** Where `path` is: the value's node, or with `onKey` the key naming it; the nearest ancestor present otherwise. */
  where(path: Path, onKey = false): Where {
    path = this.pathMap(path);
    let node: unknown = this.doc.contents;
    let offset = (node as Node | null)?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair && onKey && i === path.length - 1 && isScalar(pair.key)) {
          offset = pair.key.range?.[0] ?? offset;
          break;
        }
        next = pair?.value;
        if (pair && !next && isScalar(pair.key)) offset = pair.key.range?.[0] ?? offset;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      }
      if (!next) break;
      node = next;
      offset = (node as Node).range?.[0] ?? offset;
    }
    const pos = this.lines.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col, field: fieldName(path) };
  }

  fault(path: Path, message: string, onKey = false): void {
    const w = this.where(path, onKey);
    this.faults.push({ file: w.file, line: w.line, column: w.column, field: w.field, message });
  }

  /** The map at `path`, faults for keys outside `allowed`. */
  object(value: Json | undefined, path: Path, allowed: readonly string[], what: string): Obj | null {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fault(path, `must be a mapping (${what})`);
      return null;
    }
    for (const k of Object.keys(value)) {
      if (allowed.includes(k)) continue;
      const later = NOT_SUPPORTED_YET[k];
      if (later !== undefined && what === 'a bucket') this.fault([...path, k], `not supported yet: alunite has no ${later}, so it cannot be declared`, true);
      else this.fault([...path, k], `unknown field; ${what} has ${allowed.join(', ')}`, true);
    }
    return value;
  }

  list(value: Json | undefined, path: Path): Json[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.fault(path, 'must be a list');
      return [];
    }
    return value;
  }

  string(value: Json | undefined, path: Path, opts: { required?: boolean; env?: boolean } = {}): string | undefined {
    if (value === undefined || value === null) {
      if (opts.required) this.fault(path, 'is required');
      return undefined;
    }
    if (typeof value === 'number') {
      // YAML reads unquoted digits as a number: beyond 2^53 some are already lost, so ask for quotes.
      if (!Number.isSafeInteger(value)) {
        this.fault(path, 'must be a string: quote it (a number this long loses digits)');
        return undefined;
      }
      value = String(value);
    }
    if (typeof value !== 'string') {
      this.fault(path, 'must be a string');
      return undefined;
    }
    return opts.env ? this.substitute(value, path) : value;
  }

  /** `${NAME}` → the environment variable; a fault names a variable that is not set. */
  substitute(value: string, path: Path): string | undefined {
    let missing = false;
    const out = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = this.env[name];
      if (v === undefined) {
        this.fault(path, `environment variable ${name} is not set`);
        missing = true;
        return '';
      }
      return v;
    });
    return missing ? undefined : out;
  }

  /** A RAM name or text field checked by the same rule as the API (`ram/names.ts`). */
  ramField(value: Json | undefined, path: Path, field: NamedField, required = false): string | undefined {
    const s = this.string(value, path, { required });
    if (s === undefined) return undefined;
    try {
      return checkField(field, s);
    } catch (err) {
      this.fault(path, describe(err));
      return undefined;
    }
  }

  /** A policy document: an inline mapping, a JSON string, or `file:<path>` relative to the state file. */
  document(value: Json | undefined, path: Path, kind: 'identity' | 'trust' | 'bucket', maxLength?: number): string | undefined {
    if (value === undefined || value === null) {
      this.fault(path, 'is required');
      return undefined;
    }
    let text: string;
    if (typeof value === 'string' && value.startsWith('file:')) {
      const file = resolve(dirname(this.file), value.slice(5));
      let raw: string;
      try {
        raw = readFileSync(file, 'utf8');
      } catch (err) {
        this.fault(path, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        return undefined;
      }
      const parsed = parseDocument(raw);
      if (parsed.errors.length > 0) {
        this.fault(path, `${file} is neither JSON nor YAML: ${parsed.errors[0]!.message.split('\n')[0]}`);
        return undefined;
      }
      text = JSON.stringify(parsed.toJS());
    } else if (typeof value === 'string') {
      text = value;
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      text = JSON.stringify(value);
    } else {
      this.fault(path, 'must be a policy document (a mapping), a JSON string, or "file:<path>"');
      return undefined;
    }
    const result = parsePolicy(text, kind, maxLength === undefined ? {} : { maxLength });
    if (!result.ok) {
      // Inline in this file: point at the faulty element itself (`Statement[0].Effect`).
      const inner = typeof value === 'object' ? policyPath(result.error.path) : [];
      this.fault([...path, ...inner], `invalid ${kind === 'trust' ? 'trust policy' : kind === 'bucket' ? 'bucket policy' : 'policy document'}: ${result.error.message}`);
      return undefined;
    }
    return text;
  }
}

/** `Statement[0].Effect` → ['Statement', 0, 'Effect']. */
function policyPath(p: string): Path {
  const out: Path = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function describe(err: unknown): string {
  if (isAppError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

const TOP = ['version', 'account', 'users', 'groups', 'policies', 'roles', 'buckets', 'accounts', 'oidcProviders', 'samlProviders'] as const;

/**
 * Reads, resolves and validates a state file. Throws InitFileError listing every fault (YAML syntax,
 * unknown or missing fields, formats, references, policy documents, local files) with line and field.
 */
export function loadState(path: string, env: NodeJS.ProcessEnv = process.env): InitState {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InitFileError(file, [{ file, line: 0, column: 0, field: '', message: `cannot read the state file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    // The first syntax error only: the parser's later ones mostly follow from it (one stray line gave hundreds).
    throw new InitFileError(file, doc.errors.slice(0, 1).map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return { file, line: pos.line, column: pos.col, field: '', message: e.message.split('\n')[0]! };
    }));
  }
  const c = new Checker(file, doc, lines, env);
  const state = check(c, doc.toJS() as Json);
  if (c.faults.length > 0) throw new InitFileError(file, c.faults.sort((a, b) => a.line - b.line || a.column - b.column));
  return state;
}

function check(c: Checker, root: Json): InitState {
  const state: InitState = { file: c.file, users: [], groups: [], policies: [], roles: [], buckets: [] };
  if (root === null || root === undefined) return state; // an empty file declares nothing
  const top = c.object(root, [], TOP, 'the state file');
  if (!top) return state;
  // Several accounts (docs/accounts.md): each entry is checked as a state file of its own.
  if (top.accounts !== undefined) state.accounts = checkAccounts(c, top.accounts, top, check);
  if (top.version !== undefined && top.version !== 1) c.fault(['version'], 'must be 1 (the only version of this format)');

  if (top.account !== undefined) {
    const a = c.object(top.account, ['account'], ['id', 'rootAccessKey'], 'the account');
    if (a) {
      const account: InitState['account'] = {};
      const id = c.string(a.id, ['account', 'id'], { env: true });
      if (id !== undefined) {
        if (/^\d{16}$/.test(id)) account.id = id;
        else c.fault(['account', 'id'], 'must be 16 digits (quote it in YAML: id: "1234567890123456")');
      }
      if (a.rootAccessKey !== undefined) {
        const k = c.object(a.rootAccessKey, ['account', 'rootAccessKey'], ['id', 'secret'], 'the root AccessKey');
        if (k) {
          const kid = c.string(k.id, ['account', 'rootAccessKey', 'id'], { required: true, env: true });
          const secret = c.string(k.secret, ['account', 'rootAccessKey', 'secret'], { required: true, env: true });
          if (kid !== undefined && !/^[A-Za-z0-9]{8,64}$/.test(kid)) c.fault(['account', 'rootAccessKey', 'id'], 'must be 8 to 64 letters or digits');
          if (secret !== undefined && !/^[\x21-\x7e]{8,128}$/.test(secret)) c.fault(['account', 'rootAccessKey', 'secret'], 'must be 8 to 128 printable characters without spaces');
          if (kid !== undefined && secret !== undefined) account.rootAccessKey = { id: kid, secret };
        }
      }
      state.account = account;
    }
  }

  // IMS identity providers (init/providers.ts).
  checkProviders(c, top, state);

  // Policies first: attachments refer to them.
  const policyNames = new Set<string>();
  c.list(top.policies, ['policies']).forEach((v, i) => {
    const path = ['policies', i];
    const o = c.object(v, path, ['name', 'description', 'document'], 'a policy');
    if (!o) return;
    const name = c.ramField(o.name, [...path, 'name'], 'PolicyName', true);
    const description = c.ramField(o.description, [...path, 'description'], 'Description');
    const document = c.document(o.document, [...path, 'document'], 'identity', DEFAULT_RAM_LIMITS.policyDocumentLength);
    if (name !== undefined) {
      if (policyNames.has(name)) c.fault([...path, 'name'], `policy ${name} is declared twice`);
      else if (systemPolicy(name)) c.fault([...path, 'name'], `${name} is a system policy; a custom policy cannot take its name`);
      policyNames.add(name);
    }
    if (name !== undefined && document !== undefined) {
      const p: DeclaredPolicy = { name, document, at: c.where(path) };
      if (description !== undefined) p.description = description;
      state.policies.push(p);
    }
  });

  const refs = (value: Json | undefined, path: Path): PolicyRef[] => {
    const out: PolicyRef[] = [];
    c.list(value, path).forEach((v, i) => {
      const p = [...path, i];
      let name: string | undefined;
      let type: PolicyType | undefined;
      if (typeof v === 'string') {
        name = v;
      } else {
        const o = c.object(v, p, ['name', 'type'], 'a policy attachment');
        if (!o) return;
        name = c.string(o.name, [...p, 'name'], { required: true });
        const t = c.string(o.type, [...p, 'type']);
        if (t !== undefined) {
          if (t === 'System' || t === 'Custom') type = t;
          else c.fault([...p, 'type'], 'must be System or Custom');
        }
      }
      if (name === undefined) return;
      const custom = policyNames.has(name);
      const system = systemPolicy(name) !== undefined;
      if (type === undefined) type = custom ? 'Custom' : system ? 'System' : undefined;
      if (type === undefined || (type === 'Custom' && !custom) || (type === 'System' && !system)) {
        c.fault(p, type === 'System' ? `${name} is not a system policy` : `no policy ${name}: declare it under policies, or name a system policy`);
        return;
      }
      if (out.some((r) => r.name === name && r.type === type)) c.fault(p, `${name} is attached twice`);
      else out.push({ name, type, at: c.where(p) });
    });
    return out;
  };

  const keyIds = new Map<string, string>();
  const userNames = new Set<string>();
  c.list(top.users, ['users']).forEach((v, i) => {
    const path = ['users', i];
    const o = c.object(v, path, ['name', 'displayName', 'comments', 'email', 'mobilePhone', 'accessKeys', 'policies'], 'a user');
    if (!o) return;
    const name = c.ramField(o.name, [...path, 'name'], 'UserName', true);
    if (name !== undefined) {
      if (userNames.has(name)) c.fault([...path, 'name'], `user ${name} is declared twice`);
      userNames.add(name);
    }
    const user: DeclaredUser = { name: name ?? '', accessKeys: [], policies: refs(o.policies, [...path, 'policies']), at: c.where(path) };
    const displayName = c.ramField(o.displayName, [...path, 'displayName'], 'DisplayName');
    if (displayName !== undefined) user.displayName = displayName;
    const comments = c.ramField(o.comments, [...path, 'comments'], 'Comments');
    if (comments !== undefined) user.comments = comments;
    const email = c.ramField(o.email, [...path, 'email'], 'Email');
    if (email !== undefined) user.email = email;
    const mobilePhone = c.ramField(o.mobilePhone, [...path, 'mobilePhone'], 'MobilePhone');
    if (mobilePhone !== undefined) user.mobilePhone = mobilePhone;
    const keys = c.list(o.accessKeys, [...path, 'accessKeys']);
    if (keys.length > DEFAULT_RAM_LIMITS.accessKeysPerUser) {
      c.fault([...path, 'accessKeys'], `a user has at most ${DEFAULT_RAM_LIMITS.accessKeysPerUser} AccessKeys`);
    }
    keys.forEach((kv, j) => {
      const kp = [...path, 'accessKeys', j];
      const k = c.object(kv, kp, ['id', 'secret', 'status'], 'an AccessKey');
      if (!k) return;
      const id = c.string(k.id, [...kp, 'id'], { required: true, env: true });
      const secret = c.string(k.secret, [...kp, 'secret'], { required: true, env: true });
      const status = c.string(k.status, [...kp, 'status']) ?? 'Active';
      if (status !== 'Active' && status !== 'Inactive') c.fault([...kp, 'status'], 'must be Active or Inactive');
      if (id !== undefined) {
        if (!ACCESS_KEY_ID_FORMAT.test(id)) c.fault([...kp, 'id'], 'must be "LTAI" and 20 letters or digits, as RAM issues them (or a legacy 16-character id)');
        else if (keyIds.has(id)) c.fault([...kp, 'id'], `AccessKey ${id} is already declared at ${keyIds.get(id)}`);
        keyIds.set(id, `${fieldName(kp)}`);
      }
      if (secret !== undefined && !ACCESS_KEY_SECRET_FORMAT.test(secret)) c.fault([...kp, 'secret'], 'must be 30 letters or digits, as RAM issues them');
      if (id !== undefined && secret !== undefined && (status === 'Active' || status === 'Inactive')) {
        const key: DeclaredAccessKey = { id, secret, status, at: c.where(kp) };
        user.accessKeys.push(key);
      }
    });
    if (name !== undefined) state.users.push(user);
  });
  const rootId = state.account?.rootAccessKey?.id;
  if (rootId !== undefined && keyIds.has(rootId)) c.fault(['account', 'rootAccessKey', 'id'], `is also declared as a RAM user's AccessKey (${keyIds.get(rootId)})`);

  const groupNames = new Set<string>();
  c.list(top.groups, ['groups']).forEach((v, i) => {
    const path = ['groups', i];
    const o = c.object(v, path, ['name', 'comments', 'members', 'policies'], 'a group');
    if (!o) return;
    const name = c.ramField(o.name, [...path, 'name'], 'GroupName', true);
    if (name !== undefined) {
      if (groupNames.has(name)) c.fault([...path, 'name'], `group ${name} is declared twice`);
      groupNames.add(name);
    }
    const group: DeclaredGroup = { name: name ?? '', members: [], policies: refs(o.policies, [...path, 'policies']), at: c.where(path) };
    const comments = c.ramField(o.comments, [...path, 'comments'], 'Comments');
    if (comments !== undefined) group.comments = comments;
    c.list(o.members, [...path, 'members']).forEach((m, j) => {
      const member = c.string(m, [...path, 'members', j], { required: true });
      if (member === undefined) return;
      if (!userNames.has(member)) c.fault([...path, 'members', j], `no user ${member} is declared under users`);
      else if (group.members.includes(member)) c.fault([...path, 'members', j], `${member} is listed twice`);
      else group.members.push(member);
    });
    if (name !== undefined) state.groups.push(group);
  });
  for (const u of state.users) {
    const n = state.groups.filter((g) => g.members.includes(u.name)).length;
    if (n > DEFAULT_RAM_LIMITS.groupsPerUser) c.fault([...pathOf(state.users, u), 'name'], `user ${u.name} is a member of ${n} groups; the limit is ${DEFAULT_RAM_LIMITS.groupsPerUser}`);
  }

  const roleNames = new Set<string>();
  c.list(top.roles, ['roles']).forEach((v, i) => {
    const path = ['roles', i];
    const o = c.object(v, path, ['name', 'description', 'maxSessionDuration', 'trustPolicy', 'policies'], 'a role');
    if (!o) return;
    const name = c.ramField(o.name, [...path, 'name'], 'RoleName', true);
    if (name !== undefined) {
      // Role names are unique case-insensitively.
      if (roleNames.has(name.toLowerCase())) c.fault([...path, 'name'], `role ${name} is declared twice`);
      roleNames.add(name.toLowerCase());
    }
    const trustPolicy = c.document(o.trustPolicy, [...path, 'trustPolicy'], 'trust');
    const role: DeclaredRole = { name: name ?? '', trustPolicy: trustPolicy ?? '', policies: refs(o.policies, [...path, 'policies']), at: c.where(path) };
    const description = c.ramField(o.description, [...path, 'description'], 'Description');
    if (description !== undefined) role.description = description;
    if (o.maxSessionDuration !== undefined) {
      const d = o.maxSessionDuration;
      if (typeof d !== 'number' || !Number.isInteger(d) || d < MIN_SESSION_DURATION || d > MAX_SESSION_DURATION) {
        c.fault([...path, 'maxSessionDuration'], `must be a whole number of seconds from ${MIN_SESSION_DURATION} to ${MAX_SESSION_DURATION}`);
      } else {
        role.maxSessionDuration = d;
      }
    }
    if (name !== undefined && trustPolicy !== undefined) state.roles.push(role);
  });

  const bucketNames = new Set<string>();
  c.list(top.buckets, ['buckets']).forEach((v, i) => {
    const path = ['buckets', i];
    const o = c.object(v, path, ['name', 'acl', 'storageClass', 'redundancyType', 'policy', 'cors', 'objects', ...BUCKET_CONFIG_FIELDS], 'a bucket');
    if (!o) return;
    const name = c.string(o.name, [...path, 'name'], { required: true });
    if (name !== undefined) {
      if (!isValidBucketName(name)) c.fault([...path, 'name'], 'InvalidBucketName: 3 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit');
      else if (bucketNames.has(name)) c.fault([...path, 'name'], `bucket ${name} is declared twice`);
      bucketNames.add(name);
    }
    const bucket: DeclaredBucket = { name: name ?? '', objects: [], at: c.where(path) };
    const acl = c.string(o.acl, [...path, 'acl']);
    if (acl !== undefined) {
      if ((BUCKET_ACLS as readonly string[]).includes(acl)) bucket.acl = acl;
      else c.fault([...path, 'acl'], `must be one of ${BUCKET_ACLS.join(', ')}`);
    }
    const storageClass = c.string(o.storageClass, [...path, 'storageClass']);
    if (storageClass !== undefined) {
      const found = STORAGE_CLASSES.find((s) => s.toLowerCase() === storageClass.toLowerCase());
      if (found) bucket.storageClass = found;
      else c.fault([...path, 'storageClass'], `must be one of ${STORAGE_CLASSES.join(', ')}`);
    }
    const redundancy = c.string(o.redundancyType, [...path, 'redundancyType']);
    if (redundancy !== undefined) {
      const found = REDUNDANCY_TYPES.find((r) => r === redundancy.toUpperCase());
      if (found) bucket.redundancyType = found;
      else c.fault([...path, 'redundancyType'], `must be one of ${REDUNDANCY_TYPES.join(', ')}`);
    }
    if (o.policy !== undefined) {
      const policy = c.document(o.policy, [...path, 'policy'], 'bucket');
      if (policy !== undefined) bucket.policy = policy;
    }
    if (o.cors !== undefined) {
      const cors = checkCors(c, o.cors, [...path, 'cors']);
      if (cors) bucket.cors = cors;
    }
    // Versioning, lifecycle, WORM, encryption: the OSS operations' own checks (init/bucket-configs.ts).
    Object.assign(bucket, readBucketConfigs(o, (field, message) => c.fault([...path, ...field.split('.')], message)));
    const keys = new Set<string>();
    c.list(o.objects, [...path, 'objects']).forEach((ov, j) => {
      const op = [...path, 'objects', j];
      const ob = c.object(ov, op, ['key', 'file', 'contentType'], 'an object');
      if (!ob) return;
      const key = c.string(ob.key, [...op, 'key'], { required: true });
      const rel = c.string(ob.file, [...op, 'file'], { required: true });
      const contentType = c.string(ob.contentType, [...op, 'contentType']);
      if (key !== undefined) {
        if (key === '' || Buffer.byteLength(key) > 1023 || key.startsWith('/') || key.startsWith('\\')) {
          c.fault([...op, 'key'], 'InvalidObjectName: 1 to 1023 bytes, not starting with "/" or "\\"');
        } else if (keys.has(key)) c.fault([...op, 'key'], `object ${key} is declared twice`);
        keys.add(key);
      }
      let file: string | undefined;
      if (rel !== undefined) {
        file = resolve(dirname(c.file), rel);
        try {
          if (!statSync(file).isFile()) {
            c.fault([...op, 'file'], `${file} is not a regular file`);
            file = undefined;
          }
        } catch (err) {
          c.fault([...op, 'file'], `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
          file = undefined;
        }
      }
      if (contentType !== undefined && !/^[\x20-\x7e]+$/.test(contentType)) c.fault([...op, 'contentType'], 'must be printable ASCII');
      if (key !== undefined && file !== undefined) {
        const obj: DeclaredObject = { key, file, contentType: contentType ?? contentTypeFor(file), at: c.where(op) };
        bucket.objects.push(obj);
      }
    });
    if (name !== undefined) state.buckets.push(bucket);
  });
  return state;
}

function pathOf(users: DeclaredUser[], u: DeclaredUser): Path {
  return ['users', users.indexOf(u)];
}

const strings = (c: Checker, value: Json | undefined, path: Path): string[] =>
  c.list(value, path).flatMap((v, i) => {
    const s = c.string(v, [...path, i], { required: true });
    return s === undefined ? [] : [s];
  });

function checkCors(c: Checker, value: Json, path: Path): CorsConfig | null {
  const o = c.object(value, path, ['rules', 'responseVary'], 'a CORS configuration');
  if (!o) return null;
  const before = c.faults.length;
  const rules: CorsRule[] = c.list(o.rules, [...path, 'rules']).flatMap((rv, i) => {
    const rp = [...path, 'rules', i];
    const r = c.object(rv, rp, ['allowedOrigins', 'allowedMethods', 'allowedHeaders', 'exposeHeaders', 'maxAgeSeconds'], 'a CORS rule');
    if (!r) return [];
    let maxAge: number | null = null;
    if (r.maxAgeSeconds !== undefined && r.maxAgeSeconds !== null) {
      if (typeof r.maxAgeSeconds === 'number' && Number.isInteger(r.maxAgeSeconds) && r.maxAgeSeconds >= 0) maxAge = r.maxAgeSeconds;
      else c.fault([...rp, 'maxAgeSeconds'], 'must be a whole number of seconds');
    }
    return [{
      allowedOrigins: strings(c, r.allowedOrigins, [...rp, 'allowedOrigins']),
      allowedMethods: strings(c, r.allowedMethods, [...rp, 'allowedMethods']),
      allowedHeaders: strings(c, r.allowedHeaders, [...rp, 'allowedHeaders']),
      exposeHeaders: strings(c, r.exposeHeaders, [...rp, 'exposeHeaders']),
      maxAgeSeconds: maxAge,
    }];
  });
  let responseVary = false;
  if (o.responseVary !== undefined) {
    if (typeof o.responseVary === 'boolean') responseVary = o.responseVary;
    else c.fault([...path, 'responseVary'], 'must be true or false');
  }
  if (c.faults.length > before) return null;
  const cfg: CorsConfig = { rules, responseVary };
  try {
    validateCors(cfg);
  } catch (err) {
    c.fault(path, describe(err));
    return null;
  }
  return cfg;
}
