import type { KeyRotation, KeyRotationMode } from './types.js';

/** A `key_rotations` row as both engines read it (previous fingerprints already decoded). */
export interface KeyRotationRow {
  id: number;
  rotated_at: number;
  key_fingerprint: string;
  previous_fingerprints: string[];
  resealed: number;
  mode: string;
  host: string;
  pid: number;
}

export function toKeyRotation(r: KeyRotationRow): KeyRotation {
  return {
    id: r.id,
    rotatedAt: r.rotated_at,
    keyFingerprint: r.key_fingerprint,
    previousFingerprints: r.previous_fingerprints,
    resealed: r.resealed,
    mode: r.mode as KeyRotationMode,
    host: r.host,
    pid: r.pid,
  };
}

/**
 * Runs `reseal` over every (AccessKeyId, sealed secret) and returns the rows whose sealed form changed;
 * `reseal` throwing aborts the caller's transaction.
 */
export function changedSecrets(
  rows: Array<{ access_key_id: string; sealed_secret: string }>,
  reseal: (accessKeyId: string, sealedSecret: string) => string,
): Array<{ accessKeyId: string; sealed: string }> {
  const changed: Array<{ accessKeyId: string; sealed: string }> = [];
  for (const r of rows) {
    const sealed = reseal(r.access_key_id, r.sealed_secret);
    if (sealed !== r.sealed_secret) changed.push({ accessKeyId: r.access_key_id, sealed });
  }
  return changed;
}
