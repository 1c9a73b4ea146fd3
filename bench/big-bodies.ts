/**
 * What the largest request bodies hold the event loop: CompleteMultipartUpload of 10,000 parts (the parts written
 * straight into the store, 100 KiB each on record) and PutBucketLifecycle of 1,000 rules in three shapes, against an
 * in-process server (SQLite). Reports the main thread's own CPU time (/proc/thread-self/schedstat, so a loaded
 * machine's waits do not count): per request (its in-process client included) and the longest stretch between two
 * 1 ms timer ticks, i.e. the longest the loop was held; medians over the repetitions. Not a test.
 *
 *   node dist/bench/big-bodies.js [--reps 8] [--root DIR]   (--root: another checkout's build, e.g. a worktree)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { positiveArg } from './proc.js';

const reps = positiveArg('--reps', 8);
const rootArg = process.argv.indexOf('--root');
const root = rootArg >= 0 ? process.argv[rootArg + 1]! : fileURLToPath(new URL('../../', import.meta.url));
type Helpers = { startTestServer: typeof import('../test/helpers/server.js').startTestServer; signedRequest: typeof import('../test/helpers/signed.js').signedRequest };
const { startTestServer } = (await import(`${root}/dist/test/helpers/server.js`)) as Pick<Helpers, 'startTestServer'>;
const { signedRequest } = (await import(`${root}/dist/test/helpers/signed.js`)) as Pick<Helpers, 'signedRequest'>;

/** This thread's time on a CPU so far, in ns. */
const cpuNs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

/** Runs `f` and answers its main-thread CPU ms and the longest CPU stretch between 1 ms ticks meanwhile. */
async function held(f: () => Promise<void>): Promise<{ total: number; hold: number }> {
  const c0 = cpuNs();
  let last = c0;
  let hold = 0;
  const tick = setInterval(() => {
    const c = cpuNs();
    hold = Math.max(hold, c - last);
    last = c;
  }, 1);
  await f();
  clearInterval(tick);
  const end = cpuNs();
  return { total: (end - c0) / 1e6, hold: Math.max(hold, end - last) / 1e6 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const report = (name: string, runs: Array<{ total: number; hold: number }>): void =>
  console.log(`${name}: main-thread CPU ${median(runs.map((r) => r.total)).toFixed(0)} ms per request, loop held at most ${median(runs.map((r) => r.hold)).toFixed(0)} ms (medians of ${runs.length})`);

function lifecycleBody(shape: 'nodes' | 'long' | 'small'): string {
  let rules = '';
  for (let i = 0; i < 1000; i++) {
    if (shape === 'long') {
      const prefix = `p${i}/${'a'.repeat(300)}`;
      rules += `<Rule><ID>r${i}-${'i'.repeat(240)}</ID><Prefix>${prefix}</Prefix><Status>Enabled</Status><Filter><Not><Prefix>${prefix}b</Prefix></Not></Filter><Expiration><Days>${1000 + i}</Days></Expiration></Rule>`;
    } else if (shape === 'nodes') {
      let tags = '';
      for (let t = 0; t < 10; t++) tags += `<Tag><Key>k${t}</Key><Value>v</Value></Tag>`;
      const transitions = ['IA', 'Archive', 'ColdArchive'].map((c, k) => `<Transition><Days>${10 * (k + 1)}</Days><StorageClass>${c}</StorageClass></Transition>`).join('');
      rules += `<Rule><ID>r${i}</ID><Prefix>p${i}/</Prefix><Status>Enabled</Status>${tags}${transitions}<Expiration><Days>${1000 + i}</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays></NoncurrentVersionExpiration></Rule>`;
    } else {
      rules += `<Rule><ID>r${i}</ID><Prefix>p${i}/</Prefix><Status>Enabled</Status><Expiration><Days>${1000 + i}</Days></Expiration></Rule>`;
    }
  }
  return `<LifecycleConfiguration>${rules}</LifecycleConfiguration>`;
}

const srv = await startTestServer({ lifecycle: { intervalMs: 0 } });
try {
  const bucket = 'big-bodies';
  await srv.client().putBucket(bucket);
  const client = srv.client({ bucket });

  const completes: Array<{ total: number; hold: number }> = [];
  for (let rep = 0; rep < reps; rep++) {
    const key = `big-${rep}`;
    const { uploadId } = await client.initMultipartUpload(key);
    const writes: Array<Promise<unknown>> = [];
    let parts = '';
    for (let n = 1; n <= 10_000; n++) {
      const etag = randomBytes(16).toString('hex').toUpperCase();
      const crc64 = BigInt(`0x${randomBytes(8).toString('hex')}`).toString(10);
      writes.push(srv.meta.putPart({ uploadId, partNumber: n, size: 100 * 1024, etag, crc64, blobId: `bench${rep}x${n}`, lastModified: Date.now() }));
      parts += `<Part><PartNumber>${n}</PartNumber><ETag>"${etag}"</ETag></Part>`;
    }
    await Promise.all(writes);
    const body = `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`;
    completes.push(await held(async () => {
      const r = await signedRequest(srv.port, 'POST', bucket, key, [['uploadId', uploadId]], { body, headers: { 'content-type': 'application/xml' } });
      if (r.status !== 200) throw new Error(r.text.slice(0, 300));
    }));
  }
  report('CompleteMultipartUpload, 10,000 parts', completes);

  for (const shape of ['nodes', 'long', 'small'] as const) {
    const body = lifecycleBody(shape);
    const put = async (): Promise<void> => {
      const r = await signedRequest(srv.port, 'PUT', bucket, null, [['lifecycle', '']], { body, headers: { 'content-type': 'application/xml' } });
      if (r.status !== 200) throw new Error(r.text.slice(0, 300));
    };
    await put();
    const runs: Array<{ total: number; hold: number }> = [];
    for (let rep = 0; rep < reps; rep++) runs.push(await held(put));
    report(`PutBucketLifecycle, 1,000 rules (${shape}, ${Buffer.byteLength(body)} bytes)`, runs);
  }
} finally {
  await srv.stop();
}
