// readBoundedBody (http/read-body.ts) reads a body whole from the stream's events: what the stream-iterator version
// answered is pinned here on real streams (a paused or already ended stream, a refusal that keeps the rest unread,
// the budget given back, a catalogue error passed through, a cut-short body); over HTTP the RAM/STS budget's 503 is
// still answered on the connection (limits.test.ts).
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { AppError } from '../src/errors.js';
import { HeldBytes } from '../src/http/held-bytes.js';
import { BodyCutShort, readBoundedBody } from '../src/http/read-body.js';

const tooLarge = (): Error => new AppError('InvalidParameter', 'too large');
const bounds = (limit: number) => ({ budget: new HeldBytes(limit), busy: () => new AppError('ServiceUnavailable'), deadlineMs: 60_000 });

describe('readBoundedBody', () => {
  it('reads every chunk in order, also from a stream paused before and one written before the read', async () => {
    const s = new PassThrough();
    s.write('ab');
    s.pause();
    const read = readBoundedBody(s, 100, tooLarge);
    s.write('cd');
    s.end('e');
    assert.equal((await read).toString(), 'abcde');
  });

  it('answers an empty body for a stream already read to its end, and BodyCutShort for a destroyed one', async () => {
    const ended = new PassThrough();
    ended.end('x');
    ended.resume();
    await new Promise((ok) => ended.once('end', ok));
    assert.equal((await readBoundedBody(ended, 100, tooLarge)).length, 0);
    const gone = new PassThrough();
    gone.destroy();
    await assert.rejects(readBoundedBody(gone, 100, tooLarge), (e) => e instanceof BodyCutShort);
  });

  it('refuses past the limit; keepRequest leaves the rest paused and readable, otherwise the stream is destroyed', async () => {
    const kept = new PassThrough();
    const read = readBoundedBody(kept, 4, tooLarge, true);
    kept.write('abc');
    kept.write('def');
    await assert.rejects(read, (e) => e instanceof AppError && e.message === 'too large');
    assert.equal(kept.destroyed, false);
    assert.equal(kept.readableFlowing, false);
    kept.end('g');
    const rest: Buffer[] = [];
    for await (const c of kept) rest.push(c as Buffer);
    assert.equal(Buffer.concat(rest).toString(), 'g');
    const dropped = new PassThrough();
    const read2 = readBoundedBody(dropped, 4, tooLarge);
    dropped.write('abcdef');
    await assert.rejects(read2, (e) => e instanceof AppError);
    assert.equal(dropped.destroyed, true);
  });

  it('counts against the shared budget while reading and gives it back, whole or refused', async () => {
    const shared = bounds(5);
    const s = new PassThrough();
    const read = readBoundedBody(s, 100, tooLarge, false, shared);
    s.write('abc');
    await new Promise((ok) => setImmediate(ok));
    assert.equal(shared.budget.inUse, 3);
    s.end('d');
    assert.equal((await read).toString(), 'abcd');
    assert.equal(shared.budget.inUse, 0);
    const over = new PassThrough();
    const read2 = readBoundedBody(over, 100, tooLarge, false, shared);
    over.write('abc');
    over.write('def');
    await assert.rejects(read2, (e) => e instanceof AppError && e.code === 'ServiceUnavailable');
    assert.equal(shared.budget.inUse, 0);
  });

  it("passes the stream's catalogue error through and wraps any other failure (or a close before the end) as BodyCutShort", async () => {
    const verdict = new PassThrough();
    const read = readBoundedBody(verdict, 100, tooLarge);
    verdict.destroy(new AppError('InvalidDigest'));
    await assert.rejects(read, (e) => e instanceof AppError && e.code === 'InvalidDigest');
    const reset = new PassThrough();
    const read2 = readBoundedBody(reset, 100, tooLarge);
    reset.write('ab');
    reset.destroy(new Error('ECONNRESET'));
    await assert.rejects(read2, (e) => e instanceof BodyCutShort);
    const closed = new PassThrough();
    const read3 = readBoundedBody(closed, 100, tooLarge);
    closed.write('ab');
    closed.destroy();
    await assert.rejects(read3, (e) => e instanceof BodyCutShort);
  });
});
