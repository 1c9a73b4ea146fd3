// Worker thread of body-hasher.ts: MD5, CRC-64 (the addon's, when built) and optionally SHA-256 of upload
// bodies, and, given a file descriptor, the write of each block right after hashing it, so the event loop
// only moves bytes from the socket into shared memory. Blocks arrive in order per job as indexes of slots
// (shared memory posted once); each is acknowledged once hashed and written, which hands its slot back.
import { createHash, type Hash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { Crc64 } from './crc64.js';
import type { HasherReply, HasherRequest } from './body-hasher.js';

interface Job {
  md5: Hash;
  crc: Crc64;
  sha256: Hash | null;
  fd: number | null;
  /** A write failed: the job only acknowledges from then on (the main thread gives it up). */
  failed: boolean;
}

const slots = new Map<number, Uint8Array>();
const jobs = new Map<number, Job>();
const port = parentPort!;

function reply(m: HasherReply): void {
  port.postMessage(m);
}

/** Writes all of `view` at the fd's offset (a write may be partial). */
function writeAll(fd: number, view: Uint8Array): void {
  let off = 0;
  while (off < view.length) off += writeSync(fd, view, off, view.length - off);
}

port.on('message', (m: HasherRequest) => {
  switch (m.t) {
    case 'slot':
      slots.set(m.slot, new Uint8Array(m.sab));
      return;
    case 'forget':
      slots.delete(m.slot);
      return;
    case 'open':
      jobs.set(m.job, { md5: createHash('md5'), crc: new Crc64(), sha256: m.sha256 ? createHash('sha256') : null, fd: m.fd, failed: false });
      return;
    case 'data': {
      const job = jobs.get(m.job);
      if (job && !job.failed) {
        const view = slots.get(m.slot)!.subarray(0, m.len);
        job.md5.update(view);
        job.crc.update(view);
        job.sha256?.update(view);
        if (job.fd !== null) {
          try {
            writeAll(job.fd, view);
          } catch (err) {
            job.failed = true;
            const e = err as NodeJS.ErrnoException;
            reply({ t: 'fail', job: m.job, code: e.code, message: e.message });
          }
        }
      }
      reply({ t: 'ack', job: m.job });
      return;
    }
    case 'end': {
      const job = jobs.get(m.job);
      jobs.delete(m.job);
      if (!job) return;
      const md5 = job.md5.digest();
      reply({
        t: 'done',
        job: m.job,
        md5: new Uint8Array(md5.buffer, md5.byteOffset, md5.length),
        crc64: job.crc.digest(),
        sha256: job.sha256 ? job.sha256.digest('hex') : null,
      });
      return;
    }
    case 'drop':
      jobs.delete(m.job);
      reply({ t: 'dropped', job: m.job });
      return;
  }
});
