// The operation table declares what every write sets besides its bytes (tags, object ACL) as extra
// authorization checks: each operation whose handler stores object properties from the request
// (objectPropsFrom: PutObject, AppendObject, InitiateMultipartUpload, PutSymlink, CopyObject) must carry them;
// InitiateMultipartUpload takes tags but not the ACL (OSS ignores x-oss-object-acl there).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { route, writeChecks, type AuthzCheck, type RouteInput } from '../src/oss/operations.js';

const B = 'b';
const K = 'k';

function routed(method: string, query: Array<[string, string]>, extra: Partial<RouteInput> = {}): { name: string; checks: AuthzCheck[] } {
  return route({ method, address: { style: 'virtual-hosted', bucket: B, key: K }, query: new Map(query), copySource: undefined, contentType: undefined, callback: false, objectAcl: false, taggingDirective: undefined, tagging: false, hasHeader: () => false, ...extra });
}

// The KMS checks every encrypting write carries (applied only when it encrypts with KMS) are tested apart below.
const pairs = (checks: AuthzCheck[]): string[] => checks.filter((c) => c.kms === undefined).map((c) => `${c.action} ${c.bucket}/${c.key}${c.ifTagged ? ' if-tagged' : ''}`);
const kmsOf = (checks: AuthzCheck[]): string[] => checks.filter((c) => c.kms !== undefined).map((c) => `${c.action} ${c.bucket}/${c.key} ${JSON.stringify(c.kms)}`);

const WRITES: Array<[string, string, Array<[string, string]>, Partial<RouteInput>]> = [
  ['PutObject', 'PUT', [], {}],
  ['AppendObject', 'POST', [['append', ''], ['position', '0']], {}],
  ['InitiateMultipartUpload', 'POST', [['uploads', '']], {}],
  ['PutSymlink', 'PUT', [['symlink', '']], {}],
  ['CopyObject', 'PUT', [], { copySource: '/src/key', taggingDirective: 'Replace' }],
];

describe('write checks in the operation table', () => {
  for (const [name, method, query, extra] of WRITES) {
    it(`${name}: x-oss-tagging / Replace → oss:PutObjectTagging, x-oss-object-acl → oss:PutObjectAcl`, () => {
      const op = routed(method, query, { ...extra, tagging: true, objectAcl: true });
      assert.equal(op.name, name);
      const got = pairs(op.checks);
      assert.ok(got.includes(`oss:PutObjectTagging ${B}/${K}`), got.join(', '));
      // InitiateMultipartUpload ignores x-oss-object-acl (as OSS): nothing to authorize; Complete's is checked below.
      if (name === 'InitiateMultipartUpload') {
        assert.ok(!got.includes(`oss:PutObjectAcl ${B}/${K}`), got.join(', '));
        return;
      }
      assert.ok(got.includes(`oss:PutObjectAcl ${B}/${K}`), got.join(', '));
      assert.equal(op.checks.find((c) => c.action === 'oss:PutObjectAcl')!.acl, 'none');
    });
  }

  it('CompleteMultipartUpload with x-oss-object-acl (it sets the ACL) → oss:PutObjectAcl', () => {
    const op = routed('POST', [['uploadId', 'abc']], { objectAcl: true });
    assert.equal(op.name, 'CompleteMultipartUpload');
    assert.deepEqual(pairs(op.checks), [`oss:PutObject ${B}/${K}`, `oss:PutObjectAcl ${B}/${K}`]);
  });

  it('without those headers a write needs only its own action', () => {
    assert.deepEqual(pairs(routed('PUT', []).checks), [`oss:PutObject ${B}/${K}`]);
    assert.deepEqual(pairs(routed('POST', [['uploads', '']]).checks), [`oss:PutObject ${B}/${K}`]);
  });

  it('CopyObject with the Copy directive moves the source tags: Get on the source, Put on the destination, if tagged', () => {
    for (const directive of [undefined, 'Copy', 'COPY']) {
      const op = routed('PUT', [], { copySource: '/src/key', taggingDirective: directive, tagging: true });
      assert.deepEqual(pairs(op.checks), [
        'oss:GetObject src/key',
        `oss:PutObject ${B}/${K}`,
        'oss:GetObjectTagging src/key if-tagged',
        `oss:PutObjectTagging ${B}/${K} if-tagged`,
      ]);
    }
  });

  it('UploadPartCopy copies bytes only: no tag or ACL checks', () => {
    const op = routed('PUT', [['uploadId', 'u'], ['partNumber', '1']], { copySource: '/src/key', tagging: true, objectAcl: true });
    assert.equal(op.name, 'UploadPartCopy');
    assert.deepEqual(pairs(op.checks), ['oss:GetObject src/key', `oss:PutObject ${B}/${K}`]);
  });

  it('writeChecks: ACL-granted writes grant the tags written with them, never the ACL', () => {
    assert.deepEqual(writeChecks('oss:PutObject', B, K, 'write', { tagging: true, objectAcl: true, encrypts: false }).map((c) => c.acl), ['write', 'write', 'none']);
    assert.deepEqual(writeChecks('oss:PutObject', B, K, 'none', { tagging: true, objectAcl: false, encrypts: false }).map((c) => c.acl), ['none', 'none']);
  });

  it('writes that encrypt carry kms:GenerateDataKey and kms:Decrypt on the key they will use; links, parts and later appends do not', () => {
    const kms = [`kms:GenerateDataKey ${B}/${K} "write"`, `kms:Decrypt ${B}/${K} "write"`];
    for (const [name, method, query, extra] of WRITES) {
      const op = routed(method, query, extra);
      assert.deepEqual(kmsOf(op.checks), name === 'PutSymlink' ? [] : kms, name);
      assert.ok(op.checks.filter((c) => c.kms !== undefined).every((c) => c.acl === 'none'), name);
    }
    assert.deepEqual(kmsOf(writeChecks('oss:PutObject', B, K, 'write', { tagging: false, objectAcl: false, encrypts: true })), kms);
    assert.deepEqual(kmsOf(routed('POST', [['append', ''], ['position', '3']]).checks), []);
    assert.deepEqual(kmsOf(routed('PUT', [['uploadId', 'u'], ['partNumber', '1']]).checks), []);
    assert.deepEqual(kmsOf(routed('PUT', [['uploadId', 'u'], ['partNumber', '1']], { copySource: '/src/key' }).checks), []);
    assert.deepEqual(kmsOf(routed('POST', [['uploadId', 'u']]).checks), []);
    assert.deepEqual(kmsOf(routed('GET', []).checks), []);
  });
});
