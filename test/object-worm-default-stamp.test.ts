// ObjectWorm's default retention is stamped on each version as it is written (docs/data-protection.md, "The default
// rule"): a later change of the default reaches only later versions and needs no history. Before, the configuration
// kept every rule still protecting versions, at most 1,000: 1,000 Puts alternating two 100-year rules, no object
// written, refused round 1,000 and every later Put (removing the default included) with 400 InvalidArgument for a
// century. Real server, ali-oss for objects, SDK-v2-style signed requests for the ObjectWorm sub-resources; SQLite,
// and PostgreSQL with ALUNITE_TEST_META=postgres (there also two servers racing a default change with writes).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startServerPairOnPostgres, startTestServer, type TestServer } from './helpers/server.js';
import { sdkSignedRequest, type SdkReply, type SdkRequest } from './helpers/signed.js';
import { strictTexts } from './helpers/strict-xml.js';

const B = 'worm-stamp';
const ON_PG = process.env.ALUNITE_TEST_META === 'postgres';

const xml = (body: string): Pick<SdkRequest, 'headers' | 'body'> => ({
  body, headers: { 'content-type': 'application/xml', 'content-md5': createHash('md5').update(body).digest('base64') },
});
const rule = (mode: string, years: number): string => `<Rule><DefaultRetention><Mode>${mode}</Mode><Years>${years}</Years></DefaultRetention></Rule>`;
/** The version id an ali-oss answer carries. */
const vid = (r: { res: { headers: object } }): string => String((r.res.headers as Record<string, string>)['x-oss-version-id']);
const ok = (res: SdkReply, what: string): SdkReply => {
  assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  return res;
};

function helpers(srv: TestServer) {
  const send = (r: SdkRequest): Promise<SdkReply> => sdkSignedRequest(srv.port, r, encodeURIComponent);
  const putDefault = async (bucket: string, r = ''): Promise<SdkReply> =>
    send({ method: 'PUT', bucket, query: [['objectWorm', '']], ...xml(`<ObjectWormConfiguration><ObjectWormEnabled>Enabled</ObjectWormEnabled>${r}</ObjectWormConfiguration>`) });
  const retentionMode = async (bucket: string, key: string, versionId: string): Promise<string | null> => {
    const res = await send({ method: 'GET', bucket, key, query: [['retention', ''], ['versionId', versionId]] });
    if (res.status === 404 && res.err?.Code === 'NoSuchObjectRetention') return null;
    ok(res, 'GetObjectRetention');
    return strictTexts(res.text, 'Mode')[0]!;
  };
  const wormBucket = async (bucket: string, r: string): Promise<void> => {
    ok(await send({ method: 'PUT', bucket }), 'PutBucket');
    ok(await send({ method: 'PUT', bucket, query: [['versioning', '']], ...xml('<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>') }), 'PutBucketVersioning');
    ok(await putDefault(bucket, r), 'PutBucketObjectWormConfiguration');
  };
  return { send, putDefault, retentionMode, wormBucket };
}

describe('ObjectWorm default retention stamped per version: no history to fill', () => {
  let srv: TestServer;
  let h: ReturnType<typeof helpers>;

  before(async () => {
    srv = await startTestServer();
    h = helpers(srv);
  });
  after(async () => {
    await srv?.stop();
  });

  it('1,001 alternating 100-year defaults, then removing the default, all succeed (round 1,000 was 400); each version keeps the default it was written under', async () => {
    await h.wormBucket(B, rule('COMPLIANCE', 100));
    const client = srv.client({ bucket: B });
    const put = async (key: string): Promise<string> => vid(await client.put(key, Buffer.from(key)));
    const underCompliance = await put('a');
    for (let i = 1; i <= 1001; i++) {
      const mode = i % 2 === 1 ? 'GOVERNANCE' : 'COMPLIANCE';
      ok(await h.putDefault(B, rule(mode, 100)), `PutBucketObjectWormConfiguration round ${i}`);
    }
    // Round 1,001 left GOVERNANCE in force.
    const underGovernance = await put('a');
    await client.multipartUpload('mp', Buffer.alloc(200 * 1024, 7), { partSize: 100 * 1024 });
    const multipart = vid(await client.head('mp'));
    ok(await h.putDefault(B), 'PutBucketObjectWormConfiguration without a default');
    const underNone = await put('a');
    // A copy onto its own key is a new version: under no default now, it is unprotected.
    await client.copy('a', 'a', B, { versionId: underCompliance } as Parameters<typeof client.copy>[3]);
    const copied = vid(await client.head('a'));

    assert.equal(await h.retentionMode(B, 'a', underCompliance), 'COMPLIANCE');
    assert.equal(await h.retentionMode(B, 'a', underGovernance), 'GOVERNANCE');
    assert.equal(await h.retentionMode(B, 'mp', multipart), 'GOVERNANCE');
    assert.equal(await h.retentionMode(B, 'a', underNone), null);
    assert.equal(await h.retentionMode(B, 'a', copied), null);
    for (const [key, v] of [['a', underCompliance], ['a', underGovernance], ['mp', multipart]] as const) {
      const del = await h.send({ method: 'DELETE', bucket: B, key, query: [['versionId', v]] });
      assert.equal(del.status, 409, `${key} ${v}: ${del.text}`);
      assert.equal(del.err?.Code, 'FileImmutable');
    }
    for (const v of [underNone, copied]) ok(await h.send({ method: 'DELETE', bucket: B, key: 'a', query: [['versionId', v]] }), 'DeleteObject of an unprotected version');
    // A new default again: only later versions take it.
    ok(await h.putDefault(B, rule('COMPLIANCE', 1)), 'PutBucketObjectWormConfiguration again');
    assert.equal(await h.retentionMode(B, 'a', await put('a')), 'COMPLIANCE');
    assert.equal(await h.retentionMode(B, 'a', underGovernance), 'GOVERNANCE');
  });
});

describe('versions written before stamping keep the protection the old history gives them', () => {
  it('an unstamped version under a COMPLIANCE rule of the history stays protected after the default is removed; new versions are not', async () => {
    const srv = await startTestServer();
    try {
      const h = helpers(srv);
      const bucket = 'worm-legacy';
      await h.wormBucket(bucket, rule('COMPLIANCE', 100));
      const client = srv.client({ bucket });
      const old = vid(await client.put('k', Buffer.from('old')));
      // The state a server before stamping left: the configuration's history, and the version without a stamp.
      await srv.meta.updateBucketConfig(bucket, 'object-worm', (cur) => {
        const doc = JSON.parse(cur!) as Record<string, unknown>;
        return JSON.stringify({ ...doc, history: [{ since: Date.now() - 3_600_000, rule: doc.defaultRetention }] });
      });
      await srv.meta.updateObjectVersion(bucket, 'k', old, (cur) => {
        const { defaultRetention: _stamp, ...rest } = cur.attrs ?? {};
        return { ...cur, attrs: rest };
      });
      assert.equal((await srv.meta.getObjectVersion(bucket, 'k', old))?.attrs?.defaultRetention, undefined);
      ok(await h.putDefault(bucket), 'PutBucketObjectWormConfiguration without a default');
      const later = vid(await client.put('k', Buffer.from('new')));
      assert.equal(await h.retentionMode(bucket, 'k', old), 'COMPLIANCE');
      const del = await h.send({ method: 'DELETE', bucket, key: 'k', query: [['versionId', old]] });
      assert.equal(del.err?.Code, 'FileImmutable', del.text);
      assert.equal(await h.retentionMode(bucket, 'k', later), null);
      ok(await h.send({ method: 'DELETE', bucket, key: 'k', query: [['versionId', later]] }), 'DeleteObject of the new version');
    } finally {
      await srv.stop();
    }
  });
});

describe('two servers on PostgreSQL: a default changed while the other writes', { skip: !ON_PG }, () => {
  it('every version written gets the old or the new default, never none', async () => {
    const pair = await startServerPairOnPostgres();
    try {
      const [ha, hb] = [helpers(pair.a), helpers(pair.b)];
      await ha.wormBucket('worm-race', rule('COMPLIANCE', 100));
      const client = pair.b.client({ bucket: 'worm-race' });
      const changes = (async () => {
        for (let i = 0; i < 40; i++) ok(await ha.putDefault('worm-race', rule(i % 2 === 0 ? 'GOVERNANCE' : 'COMPLIANCE', 100)), `change ${i}`);
      })();
      const writes = (async () => {
        const ids: string[] = [];
        for (let i = 0; i < 40; i++) ids.push(vid(await client.put('k', Buffer.from(String(i)))));
        return ids;
      })();
      const [, ids] = await Promise.all([changes, writes]);
      for (const v of ids) assert.ok(['COMPLIANCE', 'GOVERNANCE'].includes((await hb.retentionMode('worm-race', 'k', v)) ?? 'none'), v);
    } finally {
      await pair.stop();
    }
  });
});
