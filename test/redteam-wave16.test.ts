// Red-team wave 16 (an outsider, another account's tenant and a narrowly-scoped RAM user against a running server):
// each finding reproduced against a real server the test starts, failing on the code before its fix. Runs on
// SQLite, and on PostgreSQL with ALUNITE_TEST_META=postgres.
//
// Found and fixed:
// - Host names given to the server (`--hostname`, ALUNITE_HOSTNAMES, ServerOptions.hostnames) were compared as
//   given with the lower-cased, port-stripped Host of each request. `ALUNITE_HOSTNAMES="oss.example.com,
//   cdn.example.com"` (a blank after the comma), `--hostname OSS.Example.com`, a trailing dot or a port made that
//   name no endpoint: virtual-hosted requests under it were read path style, and, in `--cname-verification token`
//   mode, any tenant allowed PutCname could bind the very name the docs tell the operator to protect that way and
//   receive the requests every client sent to it. Now the names are normalized at start (trimmed, lower-cased,
//   trailing dot and port dropped) and one that is no host name stops the start (oss/address.ts hostnamesOf).
// - The lifecycle worker applied a bucket's rules to whichever bucket held its name when it got there: a tick lists
//   the buckets first, then walks them one by one (each up to 100,000 objects), so a bucket deleted and created
//   again meanwhile, by another account or by the same owner without rules, had its objects expired, its uploads
//   aborted and its WORM retention judged by the old bucket's record. A tenant could delete its empty bucket
//   `shared-name` carrying `CreatedBeforeDate 2100-01-01` and the next owner of the name lost every object it put
//   there within the tick. Now each page re-reads the bucket and stops on another incarnation (or changed rules),
//   and every removal, abort, transition and progress write carries the incarnation to the store, which refuses it
//   inside its transaction on another bucket of the name (domain/lifecycle-worker.ts; store removeObject,
//   deleteObjectsIf, abortUpload `sameBucket`; docs/lifecycle.md).
// - SetAccountAlias claimed the alias in the store-wide index before storing it in the account's document, and
//   wrote the entry blind: accounts setting one alias at once each found the entry free or "stale" (the other's
//   document did not name it yet), and all kept it (six accounts at once: six holders, every round), in one
//   process as across PostgreSQL processes; console sign-ins as `user@<alias>` then went to whichever wrote the
//   entry last. Aliases are unique across accounts because they route sign-ins. Now the document is written
//   first, the entry is claimed by compare-and-set (MetadataStore.swapIndexEntry), and a refused claimant's
//   document is put back (accounts/alias-index.ts, ram/account-settings.ts; docs/accounts.md).
//
// Found and not changed (reported):
// - The vending service (`alunite vend`, HTTP or its new HTTPS mode) sets no cap on client connections, unlike the
//   server (http/serve.ts defaultMaxConnections): idle connections are closed by node's headersTimeout (60 s; a TLS
//   handshake never finished, 120 s), but a flood of them can take every descriptor, and AssumeRole's own socket
//   to STS with it. A reverse proxy in front (docs/vend.md) bounds this today.
// - The inventory worker reads a bucket's configurations when it reaches the bucket (not from its listing), so a
//   bucket replaced before that runs the new owner's configurations, whose destination check (same owner as the
//   listed record) then fails the run; a replacement between the claim and the listing of rows is a window of a
//   few store calls, not one a tenant can hold open as the lifecycle walk could be held.
//
// Tried and held:
// - CNAMEs: Host case, a trailing dot (never a CNAME: not a DNS name as PutCname takes them), ports, IDN/Unicode
//   and `_dnsauth` lengths, absolute-form targets (their authority is the Host, signed as such), duplicate Host
//   lines (400), no X-Forwarded-Host or HTTP/2 :authority read anywhere; a signature for `/<bucket>/<key>` of one
//   bucket sent through another's domain signs `/<other>/<bucket>/<key>` (SignatureDoesNotMatch), internal `/-/`
//   paths and POP calls through a bound domain are object keys; a domain held by another account is refused
//   before any proof or lookup and without naming the holder; an index entry of a deleted bucket, or of an earlier
//   incarnation of its name, neither routes nor blocks; the DNS proof is the bucket's own random token (a TXT
//   record copied from another bucket's proof matches nothing).
// - Overwrite rules, storage quota, metadata tables: authorized as oss:<Operation> on the bucket (ACLs grant
//   none), bodies bounded before parsing (256 KiB, 4 KiB, 16 KiB; stored ≤ 64 KiB), unknown elements refused,
//   control characters refused, and each write captures the bucket before its body and commits only into it.
// - Vend HTTPS: certificate and key checked at start, HSTS on every answer, plain HTTP to the port unanswered;
//   JWT algorithms from the configured key only, login tokens bound to the password hash.
// - Async fetch writes through ObjectService.put, which captures the bucket when the write starts and commits only
//   into it, and re-checks the task is still in its bucket's list after connecting; bucket logging confirms source
//   and target owners at each flush; access point aliases are confirmed on the bucket's current record.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorOf, rawRequest, v1Authorization } from './helpers/raw-http.js';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';
import RPCClient from '@alicloud/pop-core';
import { ACCOUNT_ALIAS_INDEX } from '../src/accounts/alias-index.js';
import type { PopError } from './helpers/ram.js';
import { AK, SECRET, startServerPairOnPostgres, startTestServer, type TestServer } from './helpers/server.js';

const B = '2234567890123499';
const B_KEYS: [string, string] = ['LTAI5tWave16AccountBKey0', 'Wave16AccountBSecretKey123456'];

const cnameBody = (domain: string): string => `<BucketCnameConfiguration><Cname><Domain>${domain}</Domain></Cname></BucketCnameConfiguration>`;

describe('redteam wave 16: host names given to the server are normalized (never bindable as a CNAME)', () => {
  let srv: TestServer;
  before(async () => {
    // As an operator writes them: a blank after a comma in ALUNITE_HOSTNAMES, capitals, a trailing dot, a port.
    srv = await startTestServer({ cname: { verification: 'token' }, hostnames: ['oss.example.test', ' cdn.example.test', 'API.Example.test', 'dot.example.test.', 'port.example.test:8930'] });
    await srv.client().putBucket('w16-host');
    await srv.client({ bucket: 'w16-host' }).put('k', Buffer.from('v'));
  });
  after(async () => {
    await srv.stop();
  });

  it('PutCname of each configured name is refused as an endpoint (was: bound, in token mode)', async () => {
    for (const domain of ['oss.example.test', 'cdn.example.test', 'api.example.test', 'dot.example.test', 'port.example.test', 'x.api.example.test']) {
      await signedRequest(srv.port, 'POST', 'w16-host', null, [['cname', ''], ['comp', 'token']], { body: cnameBody(domain) });
      failsWith(await signedRequest(srv.port, 'POST', 'w16-host', null, [['cname', ''], ['comp', 'add']], { body: cnameBody(domain) }), 'InvalidArgument', 400);
    }
    // A name that is not the server's is still bound (token mode).
    await signedRequest(srv.port, 'POST', 'w16-host', null, [['cname', ''], ['comp', 'token']], { body: cnameBody('free.example.test') });
    succeeds(await signedRequest(srv.port, 'POST', 'w16-host', null, [['cname', ''], ['comp', 'add']], { body: cnameBody('free.example.test') }));
  });

  it('virtual-hosted requests under each configured name reach the bucket (were read path style)', async () => {
    for (const host of ['cdn.example.test', 'api.example.test', 'dot.example.test', 'port.example.test']) {
      const headers: Record<string, string> = { host: `w16-host.${host}:${srv.port}`, 'x-oss-date': new Date().toUTCString() };
      headers.authorization = v1Authorization({ method: 'GET', bucket: 'w16-host', key: 'k', query: [], headers }, AK, SECRET).authorization;
      const res = await rawRequest(srv.port, { method: 'GET', path: '/k', headers });
      assert.equal(res.status, 200, `${host}: ${JSON.stringify(errorOf(res))}`);
      assert.equal(res.body.toString(), 'v');
    }
  });

  it('a name that is no host name stops the start', async () => {
    for (const bad of ['http://oss.example.test', 'oss.example.test/x', 'a b.example.test', 'oss..example.test']) {
      await assert.rejects(startTestServer({ hostnames: [bad] }).then((started) => started.stop()), /host name/, bad);
    }
  });
});

const md5 = (s: string): string => createHash('md5').update(s).digest('base64');
const lifecycleDoc = (rules: string): string => `<?xml version="1.0" encoding="UTF-8"?><LifecycleConfiguration>${rules}</LifecycleConfiguration>`;

describe('redteam wave 16: the lifecycle worker acts only on the bucket whose rules it read', () => {
  let srv: TestServer;
  const asB = { accessKeyId: B_KEYS[0], accessKeySecret: B_KEYS[1] };
  // Sorted before the contested name: the tick walks it first, while the contested bucket changes hands.
  const SLOW = 'w16-lc-0-first';
  const NAME = 'w16-lc-shared-name';

  before(async () => {
    srv = await startTestServer({ lifecycle: { intervalMs: 0 } });
    await srv.accounts.create({ accountId: B, name: 'wave16-b', accessKeyId: B_KEYS[0], accessKeySecret: B_KEYS[1] });
  });
  after(async () => {
    await srv.stop();
  });

  const putLifecycle = async (bucket: string, rules: string, creds?: [string, string]): Promise<void> => {
    const body = lifecycleDoc(rules);
    succeeds(await signedRequest(srv.port, 'PUT', bucket, null, [['lifecycle', '']], { body, headers: { 'content-md5': md5(body), 'content-type': 'application/xml' }, ...(creds ? { creds } : {}) }));
  };

  /** Holds the worker in the first bucket's listing until `release` is called. */
  const holdFirstListing = (bucket: string): { reached: Promise<void>; release: () => void; restore: () => void } => {
    const meta = srv.meta;
    const original = meta.listObjects.bind(meta);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    let held = false;
    meta.listObjects = async (b, q) => {
      if (b === bucket && !held) {
        held = true;
        reached();
        await gate;
      }
      return original(b, q);
    };
    return { reached: reachedP, release, restore: () => { meta.listObjects = original; } };
  };

  it('a bucket deleted and created again by another account during a tick keeps its objects and uploads', async () => {
    await srv.client().putBucket(SLOW);
    await putLifecycle(SLOW, '<Rule><ID>never</ID><Prefix></Prefix><Status>Enabled</Status><Expiration><Days>3650</Days></Expiration></Rule>');
    // A's bucket of the contested name: every object and upload "created before 2100" expires at once.
    await srv.client().putBucket(NAME);
    await putLifecycle(NAME, '<Rule><ID>wipe</ID><Prefix></Prefix><Status>Enabled</Status><Expiration><CreatedBeforeDate>2100-01-01T00:00:00.000Z</CreatedBeforeDate></Expiration>' +
      '<AbortMultipartUpload><CreatedBeforeDate>2100-01-01T00:00:00.000Z</CreatedBeforeDate></AbortMultipartUpload></Rule>');

    const hold = holdFirstListing(SLOW);
    try {
      const tick = srv.lifecycle!.runOnce();
      // The tick listed both buckets (A's record of NAME among them) and is in the first one.
      await hold.reached;
      await srv.client().deleteBucket(NAME);
      const b = srv.client(asB);
      await b.putBucket(NAME);
      await srv.client({ ...asB, bucket: NAME }).put('data.txt', Buffer.from('B keeps this'));
      const upload = await srv.client({ ...asB, bucket: NAME }).initMultipartUpload('big.bin');
      hold.release();
      await tick;
      // Before: data.txt expired and big.bin's upload aborted by A's rule, and A's pass position written on B's bucket.
      const got = await srv.client({ ...asB, bucket: NAME }).get('data.txt');
      assert.equal(got.content.toString(), 'B keeps this');
      const uploads = await srv.client({ ...asB, bucket: NAME }).listUploads({});
      assert.deepEqual(uploads.uploads.map((u) => u.uploadId), [upload.uploadId]);
      assert.equal((await srv.meta.getBucket(NAME))?.configs['lifecycle-progress'], undefined);
    } finally {
      hold.restore();
      hold.release();
    }
    // B's bucket has no rules: later ticks leave it alone too.
    await srv.lifecycle!.runOnce();
    assert.equal((await srv.client({ ...asB, bucket: NAME }).get('data.txt')).content.toString(), 'B keeps this');
  });

  it('the store refuses a lifecycle removal, batch delete or abort carrying another incarnation of the bucket', async () => {
    const name = 'w16-lc-store';
    await srv.client().putBucket(name);
    const old = await srv.meta.getBucket(name);
    await srv.client().deleteBucket(name);
    await srv.client(asB).putBucket(name);
    await srv.client({ ...asB, bucket: name }).put('k', Buffer.from('v'));
    const upload = await srv.client({ ...asB, bucket: name }).initMultipartUpload('u');
    const stale = { ownerAccountId: old!.ownerAccountId, createdAt: old!.createdAt };
    assert.deepEqual(await srv.meta.deleteObjectsIf(name, ['k'], () => true, stale), []);
    await assert.rejects(srv.meta.removeObject(name, 'k', Date.now(), undefined, undefined, stale), (err: { code?: string }) => err.code === 'NoSuchBucket');
    assert.equal(await srv.meta.abortUpload(upload.uploadId, stale), null);
    assert.equal((await srv.client({ ...asB, bucket: name }).get('k')).content.toString(), 'v');
    assert.equal((await srv.client({ ...asB, bucket: name }).listUploads({})).uploads.length, 1);
    // The bucket's own incarnation passes.
    const now = await srv.meta.getBucket(name);
    const same = { ownerAccountId: now!.ownerAccountId, createdAt: now!.createdAt };
    assert.notEqual((await srv.meta.abortUpload(upload.uploadId, same)), null);
    assert.equal((await srv.meta.deleteObjectsIf(name, ['k'], () => true, same)).length, 1);
  });
});

describe('redteam wave 16: an account alias set by several accounts at once is held by one', () => {
  let stop: () => Promise<void>;
  let servers: TestServer[];
  const N = 6;
  const callers: Array<(action: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>> = [];

  before(async () => {
    if (process.env.ALUNITE_TEST_META === 'postgres') {
      // Two processes on one database: half of the accounts ask one, half the other.
      const pair = await startServerPairOnPostgres({ lifecycle: { enabled: false }, inventory: { enabled: false } });
      servers = [pair.a, pair.b];
      stop = pair.stop;
    } else {
      const srv = await startTestServer();
      servers = [srv];
      stop = () => srv.stop();
    }
    for (let i = 0; i < N; i++) {
      const accessKeyId = `LTAI5tWave16Alias${String(i).padStart(7, '0')}`;
      const accessKeySecret = `Wave16AliasSecret${String(i).padStart(13, '0')}`;
      await servers[0]!.accounts.create({ accountId: `22345678901231${String(i).padStart(2, '0')}`, name: `w16-alias-${i}`, accessKeyId, accessKeySecret });
      const client = new RPCClient({ accessKeyId, accessKeySecret, endpoint: servers[i % servers.length]!.url, apiVersion: '2015-05-01' });
      callers.push((action, params = {}) => client.request<Record<string, unknown>>(action, params, { method: 'POST' }));
    }
  });
  after(async () => {
    await stop?.();
  });

  it('each round: one SetAccountAlias succeeds, the others are EntityAlreadyExists.AccountAlias and keep no alias', async () => {
    for (let round = 0; round < 5; round++) {
      const alias = `w16-corp-${round}`;
      const answers = await Promise.allSettled(callers.map((call) => call('SetAccountAlias', { AccountAlias: alias })));
      const won = answers.flatMap((a, i) => (a.status === 'fulfilled' ? [i] : []));
      // Before: all six succeeded, and all six held the alias.
      assert.equal(won.length, 1, `round ${round}: ${won.length} accounts hold ${alias}`);
      for (const a of answers) {
        if (a.status === 'rejected') assert.equal((a.reason as PopError).data?.Code ?? (a.reason as PopError).code, 'EntityAlreadyExists.AccountAlias');
      }
      const holders: number[] = [];
      for (let i = 0; i < N; i++) if ((await callers[i]!('GetAccountAlias')).AccountAlias === alias) holders.push(i);
      assert.deepEqual(holders, won, `round ${round}`);
      assert.equal(await servers[0]!.meta.getIndexEntry(ACCOUNT_ALIAS_INDEX, alias), `22345678901231${String(won[0]).padStart(2, '0')}`);
    }
  });
});
