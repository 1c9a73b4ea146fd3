import { createHmac, timingSafeEqual } from 'node:crypto';
import { KEY_CHECK_DOC, type IdentityStore, type KeyCheckDecider } from '../store/meta/types.js';
import { masterKeyFingerprint, type MasterKeyRing } from './master-key.js';
import { open } from './secret-box.js';

/**
 * The master-key check value (docs/encryption.md#which-master-key-a-database-belongs-to): HMAC-SHA256 under
 * the master key of a fixed label. It tells whether a process's key is the one a database was set up with,
 * without the key, or anything that helps guess it, leaving the process: a MAC of a public string under a
 * 256-bit random key reveals nothing about the key (finding the key from it is a 2^256 search).
 */
const CHECK_LABEL = 'alunite master-key check v1';

export function masterKeyCheckValue(key: Buffer): string {
  return createHmac('sha256', key).update(CHECK_LABEL).digest('hex');
}

/** The stored document: the check value, and the key's fingerprint (for messages; also logged at start). */
interface KeyCheckDocument {
  v: 1;
  check: string;
  fingerprint: string;
}

export function keyCheckDocument(key: Buffer): string {
  const doc: KeyCheckDocument = { v: 1, check: masterKeyCheckValue(key), fingerprint: masterKeyFingerprint(key) };
  return JSON.stringify(doc);
}

function parseDocument(text: string): KeyCheckDocument | null {
  try {
    const d = JSON.parse(text) as Partial<KeyCheckDocument>;
    return d.v === 1 && typeof d.check === 'string' && typeof d.fingerprint === 'string' ? { v: 1, check: d.check, fingerprint: d.fingerprint } : null;
  } catch {
    return null;
  }
}

function sameCheck(key: Buffer, check: string): boolean {
  const mine = Buffer.from(masterKeyCheckValue(key), 'utf8');
  const theirs = Buffer.from(check, 'utf8');
  return mine.length === theirs.length && timingSafeEqual(mine, theirs);
}

/** Which key of the ring the document names: the current one, a previous one (a rotation under way), or none. */
function matchRing(doc: KeyCheckDocument, ring: MasterKeyRing): 'current' | 'previous' | null {
  if (sameCheck(ring.current, doc.check)) return 'current';
  return ring.previous.some((k) => sameCheck(k, doc.check)) ? 'previous' : null;
}

export type KeyCheckResult =
  /** current: the database's key is this process's key; previous: it is one of its previous keys (a rotation not yet run); recorded: this start wrote the value. */
  | { ok: true; state: 'current' | 'previous' | 'recorded'; storeFingerprint: string }
  | { ok: false; code: 'MasterKeyMismatch' | 'MasterKeyOpensNoSecret' | 'MasterKeyCheckUnreadable'; message: string };

export interface KeyCheckPlace {
  /** Where this process's key came from: `ALUNITE_MASTER_KEY`, or the path of master.key. */
  keySource: string;
  /** The metadata store, for messages (PostgreSQL URL without its password, or the SQLite file). */
  store: string;
}

type CheckedStore = Pick<IdentityStore, 'readIdentityDocs' | 'updateIdentityDocs' | 'anySealedSecret'>;

/**
 * Start-up: refuses a master key that is not the database's. The database keeps one check value
 * (identity document `master-key-check`, written once); a process whose current or previous keys include
 * the key it names may start (previous: the documented rolling restart before `keys rotate`). A database
 * without one (new, or from before this check) gets it now: from the key that opens an existing sealed
 * AccessKey secret (none opening: refused), else from this process's key. Written only if still absent, in
 * one transaction, then compared: of two first processes racing with different keys, the second refuses.
 */
export async function checkMasterKey(store: CheckedStore, ring: MasterKeyRing, place: KeyCheckPlace): Promise<KeyCheckResult> {
  const mine = masterKeyFingerprint(ring.current);
  const refuse = (doc: KeyCheckDocument): KeyCheckResult => ({
    ok: false,
    code: 'MasterKeyMismatch',
    message:
      `master key mismatch: ${place.keySource} (key fingerprint ${mine}${ring.previous.length > 0 ? `, previous ${ring.previous.map(masterKeyFingerprint).join(', ')}` : ''}) ` +
      `is not the master key of the metadata store ${place.store} (key fingerprint ${doc.fingerprint}). Every process sharing a database ` +
      'must use the same master key: copy master.key from the data directory of a process that uses this database (or set the same ' +
      'ALUNITE_MASTER_KEY) and start again; while a rotation is under way, also give the old key (master.key.previous or ' +
      'ALUNITE_MASTER_KEY_PREVIOUS). Nothing was changed.',
  });
  const judge = (text: string, wrote: boolean): KeyCheckResult => {
    const doc = parseDocument(text);
    if (!doc) {
      return { ok: false, code: 'MasterKeyCheckUnreadable', message: `the master-key check document (ram_documents kind ${KEY_CHECK_DOC.kind}) in ${place.store} is unreadable; nothing was changed` };
    }
    const match = matchRing(doc, ring);
    if (match === null) return refuse(doc);
    return { ok: true, state: wrote ? 'recorded' : match, storeFingerprint: doc.fingerprint };
  };

  const existing = (await store.readIdentityDocs(KEY_CHECK_DOC.kind, [KEY_CHECK_DOC.id])).get(KEY_CHECK_DOC.id);
  if (existing !== undefined) return judge(existing, false);

  // No value yet: which key are the existing secrets sealed under?
  let key = ring.current;
  const sample = await store.anySealedSecret();
  if (sample) {
    const opener = [ring.current, ...ring.previous].find((k) => opens(k, sample.sealedSecret, sample.accessKeyId));
    if (!opener) {
      return {
        ok: false,
        code: 'MasterKeyOpensNoSecret',
        message:
          `master key mismatch: ${place.keySource} (key fingerprint ${mine}) does not open the RAM AccessKey secrets in the metadata store ${place.store} ` +
          `(AccessKey ${sample.accessKeyId}): give this process the master key the database's other processes use (copy their master.key, or set the same ` +
          'ALUNITE_MASTER_KEY) and start again. Nothing was changed.',
      };
    }
    key = opener;
  }
  // Written only if still absent (the decider runs in the store's transaction; PostgreSQL holds the
  // document's advisory lock, so of two racing first starts one writes and the other reads its value).
  let stored = '';
  let wrote = false;
  const decide: KeyCheckDecider = (cur) => {
    wrote = cur === null;
    stored = cur ?? keyCheckDocument(key);
    return stored;
  };
  await store.updateIdentityDocs([KEY_CHECK_DOC], ([cur]) => [decide(cur ?? null)]);
  return judge(stored, wrote);
}

function opens(key: Buffer, sealed: string, accessKeyId: string): boolean {
  try {
    open(key, sealed, accessKeyId);
    return true;
  } catch {
    return false;
  }
}

/**
 * `alunite keys rotate`: the check value moves to `current` in the re-seal transaction. A stored value naming
 * none of the keys the command was given aborts the rotation (the database belongs to another key).
 */
export function rotationKeyCheck(current: Buffer, older: Buffer[]): KeyCheckDecider {
  return (cur) => {
    const doc = cur === null ? null : parseDocument(cur);
    if (doc && matchRing(doc, { current, previous: older }) === null) {
      throw new Error(
        `the metadata store's master key (fingerprint ${doc.fingerprint}) is none of the keys given (${[current, ...older].map(masterKeyFingerprint).join(', ')}): ` +
          'nothing was changed; give the key the servers use as the previous key',
      );
    }
    return keyCheckDocument(current);
  };
}
