// oss2's own tests (aliyun/aliyun-oss-python-sdk tests/*.py), third reading: the files the first two left out
// (replication, WORM, website, meta query, async fetch, live channels, client-side encryption, resumable transfers,
// …). Each request is sent as oss2 builds it (oss2/api.py: path style for an IP endpoint, `quote(key, '')`, V1
// header signatures) and each answer read as oss2/xml_utils.py reads it: an element read with `_find_tag` must be
// there, `_find_bool` takes only `true`/`false`, `_find_int` an integer.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server.js';
import { sdkSignedRequest, type SdkReply, type SdkRequest } from './helpers/signed.js';

const B = 'oss2-more';

type Send = Omit<SdkRequest, 'bucket'> & { bucket?: string | null };

/** Python's `quote(s, '')`: every byte but letters, digits and `_.-~` escaped, `/` too. */
const pyQuote = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** ElementTree's `find(path).text` for a simple path of element names (first match; undefined when absent). */
function find(xml: string, path: string): string | undefined {
  let scope = xml;
  for (const name of path.split('/')) {
    const m = new RegExp(`<${name}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${name}>)`).exec(scope);
    if (m === null) return undefined;
    scope = m[1] ?? '';
  }
  return scope;
}
const findAll = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1] ?? '');

describe("oss2's own tests, third reading (aliyun-oss-python-sdk tests/)", () => {
  let srv: TestServer;
  /** The server's clock: tests move it forward to see what time does. */
  let now = Date.now();

  async function send(r: Send): Promise<SdkReply> {
    return sdkSignedRequest(srv.port, { ...r, bucket: r.bucket === undefined ? B : r.bucket }, pyQuote);
  }
  const ok = (res: SdkReply, what: string): SdkReply => {
    assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  };
  const fails = (res: SdkReply, code: string, status: number, what: string): SdkReply => {
    assert.equal(res.status, status, `${what}: ${res.text.slice(0, 300)}`);
    assert.equal(res.err?.Code, code, what);
    return res;
  };

  before(async () => {
    srv = await startTestServer({ clock: () => now, callbacks: { allowHosts: ['127.0.0.1'] } });
    ok(await send({ method: 'PUT' }), 'PutBucket');
  });
  after(async () => {
    await srv.stop();
  });

  describe('test_bucket_replication.py', () => {
    // oss2 xml_utils.to_put_bucket_replication: ID, Destination (Bucket, Location, TransferType),
    // HistoricalObjectReplication, PrefixSet, Action, SyncRole, EncryptionConfiguration, SourceSelectionCriteria.
    interface Rule { id?: string; bucket?: string; prefixes?: string[]; actions?: string[]; transfer?: string; historical?: boolean; role?: string; kms?: string; sse?: string }
    const config = (r: Rule): string =>
      `<ReplicationConfiguration><Rule>${r.id === undefined ? '' : `<ID>${r.id}</ID>`}<Destination><Bucket>${r.bucket ?? 'replica-dest'}</Bucket>` +
      `<Location>oss-ap-south-1</Location>${r.transfer === undefined ? '' : `<TransferType>${r.transfer}</TransferType>`}</Destination>` +
      `<HistoricalObjectReplication>${r.historical === false ? 'disabled' : 'enabled'}</HistoricalObjectReplication>` +
      `${r.prefixes === undefined ? '' : `<PrefixSet>${r.prefixes.map((p) => `<Prefix>${p}</Prefix>`).join('')}</PrefixSet>`}` +
      `${r.actions === undefined ? '' : `<Action>${r.actions.join(',')}</Action>`}${r.role === undefined ? '' : `<SyncRole>${r.role}</SyncRole>`}` +
      `${r.kms === undefined ? '' : `<EncryptionConfiguration><ReplicaKmsKeyID>${r.kms}</ReplicaKmsKeyID></EncryptionConfiguration>`}` +
      `${r.sse === undefined ? '' : `<SourceSelectionCriteria><SseKmsEncryptedObjects><Status>${r.sse}</Status></SseKmsEncryptedObjects></SourceSelectionCriteria>`}` +
      '</Rule></ReplicationConfiguration>';
    const put = (bucket: string, r: Rule): Promise<SdkReply> => send({ method: 'POST', bucket, query: [['replication', ''], ['comp', 'add']], body: config(r) });
    const get = async (bucket: string): Promise<string> => ok(await send({ method: 'GET', bucket, query: [['replication', '']] }), 'GetBucketReplication').text;
    const progress = (bucket: string, id: string): Promise<SdkReply> => send({ method: 'GET', bucket, query: [['replicationProgress', ''], ['rule-id', id]] });
    const del = (bucket: string, id: string): Promise<SdkReply> =>
      send({ method: 'POST', bucket, query: [['replication', ''], ['comp', 'delete']], body: `<ReplicationRules><ID>${id}</ID></ReplicationRules>` });
    let n = 0;
    /** Each test case has its own source bucket, as oss2's setUp creates one. */
    const source = async (): Promise<string> => {
      const bucket = `oss2-replica-source-${n++}`;
      ok(await send({ method: 'PUT', bucket }), 'PutBucket');
      return bucket;
    };

    it('test_replication_with_full_parameter: read back as put; progress 0 with no NewObject; after the delete the rule reads closing', async () => {
      const bucket = await source();
      ok(await put(bucket, { id: 'test-id', prefixes: ['prefix-1', 'prefix-2'], actions: ['ALL'], transfer: 'oss_acc', historical: false, role: 'AliyunOSSRole', kms: 'cmk-1', sse: 'Enabled' }), 'Put');
      const rule = await get(bucket);
      assert.deepEqual(findAll(rule, 'Prefix'), ['prefix-1', 'prefix-2']);
      for (const [path, value] of [['Rule/ID', 'test-id'], ['Rule/Destination/Bucket', 'replica-dest'], ['Rule/Destination/Location', 'oss-ap-south-1'], ['Rule/Destination/TransferType', 'oss_acc'],
        ['Rule/Action', 'ALL'], ['Rule/HistoricalObjectReplication', 'disabled'], ['Rule/Status', 'starting'], ['Rule/SyncRole', 'AliyunOSSRole'],
        ['Rule/EncryptionConfiguration/ReplicaKmsKeyID', 'cmk-1'], ['Rule/SourceSelectionCriteria/SseKmsEncryptedObjects/Status', 'Enabled']] as const) {
        assert.equal(find(rule, path), value, path);
      }
      const p = ok(await progress(bucket, 'test-id'), 'GetBucketReplicationProgress').text;
      assert.equal(Number(find(p, 'Rule/Progress/HistoricalObject')), 0);
      assert.equal(find(p, 'Rule/Progress/NewObject'), undefined, 'oss2 asserts new_object_progress is None');
      assert.equal(find(p, 'Rule/Status'), 'starting');

      assert.equal(ok(await del(bucket, 'test-id'), 'DeleteBucketReplication').status, 200);
      assert.equal(find(await get(bucket), 'Rule/Status'), 'closing');
      assert.equal(find(ok(await progress(bucket, 'test-id'), 'progress').text, 'Rule/Status'), 'closing');
      // A second delete of the closing rule: 204, as documented.
      assert.equal(ok(await del(bucket, 'test-id'), 'second delete').status, 204);
      // Not forever: once the closing time is over the rule is gone.
      now += 61_000;
      fails(await send({ method: 'GET', bucket, query: [['replication', '']] }), 'NoSuchReplicationConfiguration', 404, 'after closing');
      fails(await progress(bucket, 'test-id'), 'NoSuchReplicationRule', 404, 'progress after closing');
      ok(await put(bucket, { id: 'test-id' }), 'the same rule again');
    });

    it('test_put_without_rule_id / test_put_replica_without_prefix: an ID is made; no PrefixSet reads back as an empty list', async () => {
      const bucket = await source();
      const res = ok(await put(bucket, { role: 'AliyunOSSRole', kms: 'cmk-1', sse: 'Enabled' }), 'Put');
      const rule = await get(bucket);
      assert.equal(find(rule, 'Rule/ID'), res.headers['x-oss-replication-rule-id']);
      assert.equal(find(rule, 'Rule/HistoricalObjectReplication'), 'enabled');
      assert.equal(find(rule, 'Rule/Action'), 'ALL');
      assert.equal(find(rule, 'Rule/PrefixSet'), undefined);
    });

    it('test_put_replica_without_sync_role: without a SyncRole no KMS settings are kept', async () => {
      const bucket = await source();
      ok(await put(bucket, { id: 'test-id', prefixes: ['prefix-1'], transfer: 'oss_acc', kms: 'cmk-1', sse: 'Enabled' }), 'Put');
      const rule = await get(bucket);
      assert.equal(find(rule, 'Rule/SyncRole'), undefined);
      assert.equal(find(rule, 'Rule/EncryptionConfiguration/ReplicaKmsKeyID'), undefined);
      assert.equal(find(rule, 'Rule/SourceSelectionCriteria/SseKmsEncryptedObjects/Status'), undefined);
    });

    it('test_kms_encrypted_status_disabled: KMS-encrypted objects not replicated, no ReplicaKmsKeyID', async () => {
      const bucket = await source();
      ok(await put(bucket, { id: 'test-id', role: 'AliyunOSSRole', kms: 'cmk-1', sse: 'Disabled' }), 'Put');
      const rule = await get(bucket);
      assert.equal(find(rule, 'Rule/SyncRole'), 'AliyunOSSRole');
      assert.equal(find(rule, 'Rule/SourceSelectionCriteria/SseKmsEncryptedObjects/Status'), 'Disabled');
      assert.equal(find(rule, 'Rule/EncryptionConfiguration/ReplicaKmsKeyID'), undefined);
    });

    it('test_put_multi_replica_rule: a second rule to the same destination bucket is BucketReplicationAlreadyExist', async () => {
      const bucket = await source();
      ok(await put(bucket, { id: 'test-id', actions: ['PUT', 'DELETE', 'ABORT'] }), 'first');
      assert.equal(find(await get(bucket), 'Rule/Action'), 'PUT,DELETE,ABORT');
      const second = fails(await put(bucket, { id: 'test-id-2', actions: ['PUT', 'DELETE', 'ABORT'] }), 'BucketReplicationAlreadyExist', 409, 'second');
      assert.equal(second.err?.EC, '0031-00000044');
      // Nor may a bucket replicate into itself (the documentation: the two names cannot be the same).
      fails(await put(bucket, { id: 'self', bucket }), 'InvalidArgument', 400, 'into itself');
      ok(await put(bucket, { id: 'test-id-3', bucket: 'another-dest' }), 'another destination');
    });

    it('test_get_replication_location: locations and at least one LocationTransferType with a Location and a Type', async () => {
      const bucket = await source();
      const text = ok(await send({ method: 'GET', bucket, query: [['replicationLocation', '']] }), 'GetBucketReplicationLocation').text;
      assert.ok(findAll(text, 'Location').length > 0);
      const types = findAll(text, 'LocationTransferType');
      assert.ok(types.length > 0, text);
      for (const t of types) {
        assert.ok(find(t, 'Location'));
        assert.ok(find(t, 'TransferTypes/Type'));
      }
    });

    it('test_replica_rule_id: progress of an unknown rule is NoSuchReplicationRule', async () => {
      fails(await progress(await source(), 'wrong'), 'NoSuchReplicationRule', 404, 'progress');
    });
  });

  describe('test_live_channel.py', () => {
    // oss2 xml_utils.to_create_live_channel of LiveChannelInfo(target=LiveChannelInfoTarget()): Description and
    // PlaylistName default to '' and are written as empty elements.
    const info = (playlist: string): string =>
      `<LiveChannelConfiguration><Description /><Status>enabled</Status><Target><Type>HLS</Type><FragDuration>5</FragDuration><FragCount>3</FragCount>` +
      `${playlist === '' ? '<PlaylistName />' : `<PlaylistName>${playlist}</PlaylistName>`}</Target></LiveChannelConfiguration>`;
    const live = (key: string, extra: Array<[string, string]> = []): Send => ({ method: 'GET', key, query: [['live', ''], ...extra] });

    it('test_put_live_channel_status, _history, _stat: a target with an empty PlaylistName is created with playlist.m3u8', async () => {
      const name = 'test-put-channel-status';
      const created = ok(await send({ method: 'PUT', key: name, query: [['live', '']], body: info('') }), 'PutLiveChannel').text;
      assert.ok(find(created, 'PlayUrls/Url')?.endsWith(`/${name}/playlist.m3u8`), created);
      const got = ok(await send(live(name)), 'GetLiveChannel').text;
      for (const [path, value] of [['Description', ''], ['Status', 'enabled'], ['Target/Type', 'HLS'], ['Target/FragDuration', '5'], ['Target/FragCount', '3'], ['Target/PlaylistName', 'playlist.m3u8']] as const) {
        assert.equal(find(got, path), value, path);
      }
      assert.equal(find(ok(await send(live(name, [['comp', 'stat']])), 'GetLiveChannelStat').text, 'Status'), 'Idle');
      ok(await send({ method: 'PUT', key: name, query: [['live', ''], ['status', 'disabled']] }), 'PutLiveChannelStatus');
      assert.equal(find(ok(await send(live(name)), 'Get').text, 'Status'), 'disabled');
      assert.deepEqual(findAll(ok(await send(live(name, [['comp', 'history']])), 'GetLiveChannelHistory').text, 'LiveRecord'), []);
    });

    it('test_post_vod_playlist: no ts files in the span is InvalidArgument', async () => {
      ok(await send({ method: 'PUT', key: 'test-post-vod-playlist', query: [['live', '']], body: info('') }), 'PutLiveChannel');
      const end = Math.floor(now / 1000) - 60;
      fails(await send({ method: 'POST', key: 'test-post-vod-playlist/vod_playlist.m3u8', query: [['vod', ''], ['startTime', String(end - 3600)], ['endTime', String(end)]] }), 'InvalidArgument', 400, 'PostVodPlaylist');
    });
  });

  describe('test_bucket_callback_policy.py', () => {
    // oss2 xml_utils.to_do_bucket_callback_policy_request: a PolicyItem per policy, CallbackVar '' when none.
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const callback1 = b64('{"callbackUrl":"www.abc.com/callback","callbackBody":"${etag}"}');
    const callback2 = b64('{"callbackUrl":"http://www.bbc.com/test","callbackHost":"www.bbc.com","callbackBody":"{\\"mimeType\\":${mimeType},\\"size\\":${size}}"}');
    const var2 = b64('{"x:var1":"value1","x:var2":"value2"}');
    const item = (name: string, callback: string, callbackVar: string): string =>
      `<PolicyItem><PolicyName>${name}</PolicyName><Callback>${callback}</Callback><CallbackVar>${callbackVar}</CallbackVar></PolicyItem>`;
    const policy = (body: string): Send => ({ method: 'PUT', query: [['policy', ''], ['comp', 'callback']], body });
    const get: Send = { method: 'GET', query: [['policy', ''], ['comp', 'callback']] };

    it('test_callback_policy: put two, read them back in order; delete is 204, then BucketCallbackPolicyNotExist', async () => {
      ok(await send(policy(`<BucketCallbackPolicy>${item('test_1', callback1, '')}${item('test_2', callback2, var2)}</BucketCallbackPolicy>`)), 'Put');
      const got = ok(await send(get), 'Get').text;
      const items = findAll(got, 'PolicyItem');
      assert.equal(items.length, 2);
      assert.deepEqual([find(items[0] ?? '', 'PolicyName'), find(items[0] ?? '', 'Callback')], ['test_1', callback1]);
      assert.deepEqual([find(items[1] ?? '', 'PolicyName'), find(items[1] ?? '', 'Callback'), find(items[1] ?? '', 'CallbackVar')], ['test_2', callback2, var2]);
      // The bucket policy is another document.
      fails(await send({ method: 'GET', query: [['policy', '']] }), 'NoSuchBucketPolicy', 404, 'GetBucketPolicy');
      assert.equal(ok(await send({ method: 'DELETE', query: [['policy', ''], ['comp', 'callback']] }), 'Delete').status, 204);
      fails(await send(get), 'BucketCallbackPolicyNotExist', 404, 'Get after the delete');
    });

    it("an upload's x-oss-callback naming a policy ({\"callbackPolicy\":\"test_2\"}) makes that policy's callback, with its variables", async () => {
      const bodies: string[] = [];
      const receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          bodies.push(Buffer.concat(chunks).toString('utf8'));
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"Status":"OK"}');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/test`;
        const named = b64(JSON.stringify({ callbackUrl: url, callbackBody: 'size=${size}&v=${x:var1}' }));
        ok(await send(policy(`<BucketCallbackPolicy>${item('test_1', callback1, '')}${item('test_2', named, var2)}</BucketCallbackPolicy>`)), 'Put');
        const put = ok(await send({ method: 'PUT', key: 'test-key', body: 'aaa', headers: { 'x-oss-callback': b64('{"callbackPolicy":"test_2"}') } }), 'PutObject');
        assert.equal(put.status, 200);
        assert.equal(put.text, '{"Status":"OK"}');
        assert.deepEqual(bodies, ['size=3&v=value1']);
        fails(await send({ method: 'PUT', key: 'test-key-2', body: 'aaa', headers: { 'x-oss-callback': b64('{"callbackPolicy":"none"}') } }), 'InvalidArgument', 400, 'an unknown policy');
        fails(await send({ method: 'HEAD', key: 'test-key-2' }), 'NoSuchKey', 404, 'nothing stored');
      } finally {
        receiver.closeAllConnections();
        await new Promise<void>((resolve) => receiver.close(() => resolve()));
      }
    });

    it('test_callback_policy_exception_process: no policy items (None, [None, None]) is 200', async () => {
      assert.equal(ok(await send(policy('<BucketCallbackPolicy />')), 'Put none').status, 200);
      fails(await send(get), 'BucketCallbackPolicyNotExist', 404, 'nothing stored');
    });
  });

  describe('test_select_json_object.py', () => {
    // oss2 xml_utils.to_select_json_object: Expression base64, JSON Type, OutputSerialization, Options.
    const b64 = (t: string): string => Buffer.from(t).toString('base64');
    /** The data frames' payloads (type 8388609: 8 bytes of offset, then the data) of a select answer. */
    const data = (body: Buffer): string => {
      let out = '';
      for (let i = 0; i + 12 <= body.length;) {
        const type = body.readUIntBE(i + 1, 3);
        const len = body.readUInt32BE(i + 4);
        if (type === 0x800001) out += body.subarray(i + 12 + 8, i + 12 + len).toString('utf8');
        i += 12 + len + 4;
      }
      return out;
    };

    it('test_select_json_object_with_skip_partial_data: a column the record lacks is left out of its object ({}), not null', async () => {
      ok(await send({ method: 'PUT', key: 'skip-partial', body: '{"key":"abc"},{"key2":"def"}' }), 'PutObject');
      const body = `<SelectRequest><Expression>${b64('select key from ossobject')}</Expression><InputSerialization><JSON><Type>LINES</Type></JSON></InputSerialization>` +
        '<OutputSerialization><JSON /></OutputSerialization><Options><SkipPartialDataRecord>false</SkipPartialDataRecord><MaxSkippedRecordsAllowed>100</MaxSkippedRecordsAllowed></Options></SelectRequest>';
      const res = await send({ method: 'POST', key: 'skip-partial', query: [['x-oss-process', 'json/select']], body });
      assert.equal(res.status, 206, res.text.slice(0, 200));
      assert.equal(data(res.body), '{"key":"abc"}\n{}\n');
    });
  });
});
