// Version ids (src/store/meta/versions.ts): 64 characters as OSS's, carrying the version's seq; the 22-character
// ids written before are still read (a data directory from an earlier Alunite keeps its versions addressable).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { newVersionId, seqOfVersionId } from '../src/store/meta/versions.js';

describe('version ids', () => {
  it('are 64 base64url characters that carry their seq, and differ for the same seq', () => {
    const seq = 1_700_000_000_000_123;
    const a = newVersionId(seq);
    const b = newVersionId(seq);
    assert.match(a, /^[A-Za-z0-9_-]{64}$/);
    assert.notEqual(a, b);
    assert.equal(seqOfVersionId(a), seq);
    assert.equal(seqOfVersionId(b), seq);
  });

  it('the 22-character form written by earlier versions still names its seq', () => {
    const seq = 1_650_000_000_000_001;
    const old = Buffer.alloc(16);
    old.writeBigUInt64BE(BigInt(seq), 0);
    randomBytes(8).copy(old, 8);
    const id = old.toString('base64url');
    assert.equal(id.length, 22);
    assert.equal(seqOfVersionId(id), seq);
  });

  it('other texts are no id of ours', () => {
    for (const t of ['null', '', 'x'.repeat(64), `${newVersionId(5).slice(0, 63)}=`, 'A'.repeat(23), 'A'.repeat(65)]) {
      assert.equal(seqOfVersionId(t) === null || t === 'x'.repeat(64), true, t);
    }
    assert.equal(seqOfVersionId('null'), null);
    assert.equal(seqOfVersionId('A'.repeat(23)), null);
    assert.equal(seqOfVersionId(`${newVersionId(5).slice(0, 63)}=`), null);
  });
});
