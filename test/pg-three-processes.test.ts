// Three real `bin/alunite server` processes sharing one PostgreSQL database and one blob directory (same
// master key and root credentials), driven round-robin by the unchanged clients (ali-oss for PUT, GET,
// LIST and multipart; pop-core for AssumeRole, whose credentials then write through another process).
// One process is killed with SIGKILL mid-load and restarted. Afterwards every acknowledged write is
// readable, byte for byte, from every process, and every listed object is a whole write that was sent.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import OSS from 'ali-oss';
import { isNetworkError, md5 } from './helpers/crash-load.js';
import { eventually } from './helpers/eventually.js';
import { testPostgres } from './helpers/postgres.js';
import { policyDoc } from './helpers/ram.js';
import { AK, SECRET } from './helpers/server.js';
import { kill9, spawnServer, type SpawnedServer } from './helpers/spawn.js';
import { roleArn, TRUST_ACCOUNT } from './helpers/sts.js';

const BUCKET = 'three-procs';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Creds {
  accessKeyId: string;
  accessKeySecret: string;
  stsToken?: string;
}

describe('three bin/alunite processes on one PostgreSQL database and one blob directory', () => {
  it('round-robin PUT/GET/LIST/multipart/AssumeRole, one process SIGKILLed mid-load and restarted: every acknowledged write is readable everywhere, no partial object is listed', async (t) => {
    const url = await (await testPostgres()).freshUrl();
    const shared = await mkdtemp(join(tmpdir(), 'alunite-three-'));
    const env = { ALUNITE_MASTER_KEY: randomBytes(32).toString('base64') };
    const args = (i: number): string[] => ['--data', join(shared, `p${i}`), '--meta', url, '--blobs', join(shared, 'blobs'), '--no-fsync'];
    const procs: SpawnedServer[] = [];
    const oss = (i: number, creds: Creds = { accessKeyId: AK, accessKeySecret: SECRET }): OSS =>
      new OSS({
        endpoint: procs[i]!.url, region: 'oss-cn-hangzhou', bucket: BUCKET, timeout: 30_000, ...creds,
        // (a session client without a refresher makes ali-oss print advice on every construction)
        ...(creds.stsToken !== undefined ? { refreshSTSToken: async () => ({ ...creds, stsToken: creds.stsToken! }), refreshSTSTokenInterval: 3_600_000 } : {}),
      } as OSS.Options);
    const pop = (i: number, apiVersion: string, creds: Creds): RPCClient =>
      new RPCClient({ endpoint: procs[i]!.url, apiVersion, accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret });
    try {
      procs.push(...(await Promise.all([0, 1, 2].map((i) => spawnServer(args(i), env)))));

      // Set-up, each step through a different process: bucket, a writer role, a RAM user allowed to assume it.
      await oss(0).putBucket(BUCKET);
      const root = { accessKeyId: AK, accessKeySecret: SECRET };
      const ram = (i: number, action: string, params: Record<string, unknown>): Promise<Record<string, any>> => // eslint-disable-line @typescript-eslint/no-explicit-any
        pop(i, '2015-05-01', root).request(action, params, { method: 'POST' });
      await ram(1, 'CreateRole', { RoleName: 'writer', AssumeRolePolicyDocument: TRUST_ACCOUNT });
      await ram(2, 'CreatePolicy', { PolicyName: 'write-bucket', PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'oss:PutObject', Resource: `acs:oss:*:*:${BUCKET}/*` }) });
      await ram(0, 'AttachPolicyToRole', { PolicyType: 'Custom', PolicyName: 'write-bucket', RoleName: 'writer' });
      await ram(1, 'CreateUser', { UserName: 'loader' });
      const key = (await ram(2, 'CreateAccessKey', { UserName: 'loader' })).AccessKey as { AccessKeyId: string; AccessKeySecret: string };
      const loader = { accessKeyId: key.AccessKeyId, accessKeySecret: key.AccessKeySecret };
      await ram(0, 'CreatePolicy', { PolicyName: 'assume', PolicyDocument: policyDoc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'acs:ram::*:role/*' }) });
      await ram(1, 'AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'assume', UserName: 'loader' });

      const sent = new Map<string, string>(); // every write attempted: key → md5 of the whole object
      const acked = new Map<string, string>(); // acknowledged writes
      const unexpected: string[] = [];
      const counts = { put: 0, get: 0, list: 0, multipart: 0, assumeRole: 0, networkErrors: 0 };
      let next = 0;
      let stop = false;
      const pick = (): number => next++ % 3;
      /** Runs one operation; a network error (the killed process) is tolerated, any service error is not. */
      const attempt = async (what: string, op: () => Promise<void>): Promise<void> => {
        try {
          await op();
        } catch (err) {
          if (isNetworkError(err)) counts.networkErrors++;
          else unexpected.push(`${what}: ${(err as Error).name} ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);
        }
      };
      const partFile = join(shared, 'parts');
      const part1 = randomBytes(100 * 1024 + 7);
      await writeFile(partFile, part1);

      const worker = async (w: number): Promise<void> => {
        for (let n = 0; !stop; n++) {
          const i = pick();
          const kind = n % 6;
          if (kind === 0 || kind === 3) {
            // PUT: small (inline), medium, or large enough to be in flight when the process dies.
            const body = randomBytes([700, 90_000, 700_000][(n + w) % 3]!);
            const k = `put/${w}/${n}`;
            sent.set(k, md5(body));
            await attempt(`PUT ${k} via ${i}`, async () => {
              await oss(i).put(k, body);
              acked.set(k, md5(body));
              counts.put++;
            });
          } else if (kind === 1 && acked.size > 0) {
            const keys = [...acked.keys()];
            const k = keys[(n * 7919 + w) % keys.length]!;
            await attempt(`GET ${k} via ${i}`, async () => {
              const got = md5((await oss(i).get(k)).content as Buffer);
              if (got !== acked.get(k)) unexpected.push(`GET ${k} via ${i}: md5 ${got}, wrote ${acked.get(k)}`);
              counts.get++;
            });
          } else if (kind === 2) {
            await attempt(`LIST via ${i}`, async () => {
              const r = await oss(i).list({ prefix: `put/${w}/`, 'max-keys': 1000 }, {});
              for (const o of r.objects ?? []) if (!sent.has(o.name)) unexpected.push(`LIST via ${i}: ${o.name} was never written`);
              counts.list++;
            });
          } else if (kind === 4) {
            // Multipart across the three processes: initiate on one, parts on the next, complete on the third.
            const k = `mp/${w}/${n}`;
            const tail = randomBytes(5000 + n);
            sent.set(k, md5(Buffer.concat([part1, tail])));
            await attempt(`multipart ${k} from ${i}`, async () => {
              const init = await oss(i).initMultipartUpload(k);
              const p1 = await oss((i + 1) % 3).uploadPart(k, init.uploadId, 1, partFile, 0, part1.length);
              const tailFile = join(shared, `tail-${w}`);
              await writeFile(tailFile, tail);
              const p2 = await oss((i + 2) % 3).uploadPart(k, init.uploadId, 2, tailFile, 0, tail.length);
              await oss(i).completeMultipartUpload(k, init.uploadId, [{ number: 1, etag: p1.etag }, { number: 2, etag: p2.etag }]);
              acked.set(k, sent.get(k)!);
              counts.multipart++;
            });
          } else {
            // AssumeRole through one process (pop-core), then write with the session through the next.
            const k = `sts/${w}/${n}`;
            const body = randomBytes(2000);
            sent.set(k, md5(body));
            await attempt(`AssumeRole+PUT ${k} via ${i}`, async () => {
              const r = await pop(i, '2015-04-01', loader).request<{ Credentials: { AccessKeyId: string; AccessKeySecret: string; SecurityToken: string } }>(
                'AssumeRole', { RoleArn: roleArn('writer'), RoleSessionName: `w${w}n${n}` }, { method: 'POST' });
              counts.assumeRole++;
              const c = r.Credentials;
              await oss((i + 1) % 3, { accessKeyId: c.AccessKeyId, accessKeySecret: c.AccessKeySecret, stsToken: c.SecurityToken }).put(k, body);
              acked.set(k, md5(body));
            });
          }
        }
      };

      const workers = Array.from({ length: 6 }, (_, w) => worker(w));
      // Load until a number of writes is acknowledged, not for a fixed time: as much work on a fast machine as on a
      // slow one (4 s each side of the kill did ~190 and ~360 acknowledged writes in CI, each read back 3 times after).
      const ACKS = 60;
      const loadUntil = async (check: () => boolean, what: string): Promise<void> => {
        try {
          await eventually(check, what, 300_000);
        } catch (err) {
          stop = true; // the workers end with the test
          throw err;
        }
      };
      await loadUntil(() => acked.size >= ACKS, `${ACKS} writes acknowledged before the kill`);
      const ackedBeforeKill = acked.size;
      await kill9(procs[1]!.child); // mid-load: requests to it are in flight
      await sleep(1000);
      procs[1] = await spawnServer(args(1), env); // restarted (a new port; the clients follow)
      await loadUntil(() => acked.size >= ackedBeforeKill + ACKS, `${ACKS} more writes acknowledged after the restart`);
      stop = true;
      await Promise.all(workers);

      t.diagnostic(`${JSON.stringify(counts)}; writes sent ${sent.size}, acknowledged ${acked.size} (${ackedBeforeKill} before the kill)`);
      assert.deepEqual(unexpected, []);
      assert.ok(ackedBeforeKill > 0 && acked.size > ackedBeforeKill, `writes acknowledged before (${ackedBeforeKill}) and after the kill (${acked.size})`);
      for (const [k, v] of Object.entries(counts)) if (k !== 'networkErrors') assert.ok(v > 0, `${k} ran: ${JSON.stringify(counts)}`);

      // Every acknowledged write, from every process.
      const entries = [...acked];
      for (const i of [0, 1, 2]) {
        for (let at = 0; at < entries.length; at += 8) {
          await Promise.all(entries.slice(at, at + 8).map(async ([k, sum]) => {
            assert.equal(md5((await oss(i).get(k)).content as Buffer), sum, `${k} via process ${i}`);
          }));
        }
      }
      // Every process lists the same objects; each is a write that was sent, whole (acknowledged or not).
      const listings: string[][] = [];
      for (const i of [0, 1, 2]) {
        const names: string[] = [];
        let marker: string | undefined;
        do {
          const r = await oss(i).list({ 'max-keys': 1000, ...(marker !== undefined ? { marker } : {}) }, {});
          names.push(...(r.objects ?? []).map((o) => o.name));
          marker = r.isTruncated ? r.nextMarker : undefined;
        } while (marker !== undefined);
        listings.push(names);
      }
      assert.deepEqual(listings[1], listings[0]);
      assert.deepEqual(listings[2], listings[0]);
      for (const k of acked.keys()) assert.ok(listings[0]!.includes(k), `${k} is listed`);
      t.diagnostic(`listed ${listings[0]!.length} objects (${listings[0]!.filter((k) => !acked.has(k)).length} committed but unacknowledged)`);
      for (const k of listings[0]!) {
        assert.ok(sent.has(k), `${k} listed but never written`);
        if (!acked.has(k)) assert.equal(md5((await oss(2).get(k)).content as Buffer), sent.get(k), `${k} (unacknowledged) is whole`);
      }
    } finally {
      for (const p of procs) await kill9(p.child);
      await rm(shared, { recursive: true, force: true });
    }
  });
});

