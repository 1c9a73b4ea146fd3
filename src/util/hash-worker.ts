// Worker thread of body-hasher.ts: MD5 and CRC-64 (the addon's, when built) of upload bodies, so the
// event loop only moves bytes. Blocks arrive in order per job as views on shared memory; each is
// acknowledged once hashed, which hands its slot back to the main thread.
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { Crc64 } from './crc64.js';
import type { HasherReply, HasherRequest } from './body-hasher.js';

interface Job {
  md5: Hash;
  crc: Crc64;
}

const jobs = new Map<number, Job>();
const port = parentPort!;

port.on('message', (m: HasherRequest) => {
  let reply: HasherReply;
  switch (m.t) {
    case 'open':
      jobs.set(m.job, { md5: createHash('md5'), crc: new Crc64() });
      return;
    case 'data': {
      const job = jobs.get(m.job);
      if (job) {
        const view = new Uint8Array(m.sab, 0, m.len);
        job.md5.update(view);
        job.crc.update(view);
      }
      reply = { t: 'ack', job: m.job };
      break;
    }
    case 'end': {
      const job = jobs.get(m.job);
      jobs.delete(m.job);
      if (!job) return;
      const md5 = job.md5.digest();
      reply = { t: 'done', job: m.job, md5: new Uint8Array(md5.buffer, md5.byteOffset, md5.length), crc64: job.crc.digest() };
      break;
    }
    case 'drop':
      jobs.delete(m.job);
      return;
  }
  port.postMessage(reply);
});
