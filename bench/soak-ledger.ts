/**
 * The soak's writes whose outcome is checked (bench/soak-mixed.ts): each worker owns its keys and moves them
 * through the processes in turn (put, append, copy, delete, multipart with parts on different processes,
 * versions and delete markers), reads each write back through another process at once, lists its prefix while
 * the others write, and remembers what was last acknowledged. `verify` then reads everything through every process.
 * Requests go through `Tally`, which counts each answer by operation and status/code and keeps the first
 * bodies of those that were not expected.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BenchResponse, Target } from './client.js';

export const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const codeOf = (text: string): string => /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? '';
const tagOf = (text: string, tag: string): string | undefined => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1];
const etagOf = (r: BenchResponse): string => String(r.headers.etag ?? tagOf(r.text, 'ETag')?.replace(/&quot;/g, '"') ?? '');

/** Answers by operation: all of them, the unexpected ones by status and code, with the first few bodies. */
export class Tally {
  requests = 0;
  readonly byOp = new Map<string, number>();
  readonly unexpected = new Map<string, number>();
  readonly bodies: string[] = [];

  /** Counts an answer; `ok` says whether its status was one the operation may get (default: below 500). */
  note(op: string, status: number, text: string, ok: boolean = status > 0 && status < 500): boolean {
    this.requests++;
    this.byOp.set(op, (this.byOp.get(op) ?? 0) + 1);
    if (ok) return true;
    const what = `${op} ${status} ${codeOf(text)}`.trim();
    this.keep(what, text);
    return false;
  }

  /** Counts `what` and keeps its first three bodies (so that one frequent kind does not hide the others). */
  private keep(what: string, text: string): void {
    const n = (this.unexpected.get(what) ?? 0) + 1;
    this.unexpected.set(what, n);
    if (n <= 3 && this.bodies.length < 40) this.bodies.push(`${what}: ${text.slice(0, 600)}`);
  }

  /** A mismatch the soak found itself (a read that did not return the acknowledged bytes, a listing that differs). */
  fault(what: string, detail: string): void {
    this.keep(what, detail);
  }

  async send(op: string, t: Target, r: Parameters<Target['send']>[0], expect: readonly number[] = []): Promise<BenchResponse | null> {
    let res: BenchResponse;
    try {
      res = await t.send({ ...r, collect: true });
    } catch (err) {
      this.note(op, -1, String(err), false);
      return null;
    }
    this.note(op, res.status, res.text, expect.length === 0 ? res.status > 0 && res.status < 500 : expect.includes(res.status));
    return res;
  }
}

/** What a key holds once its last acknowledged write landed: bytes (MD5, size) and the ETag the write answered. */
interface Held { md5: string; size: number; etag: string; body: Buffer }
interface Version extends Held { versionId: string }

export const BUCKET_OWNED = 'soak-owned';
export const BUCKET_VERSIONED = 'soak-versions';
const KEYS = 6;
const APPENDS = 2;
const VKEYS = 3;

/** One worker's keys and what each holds; `via(i)` gives the process of the i-th request (round-robin). */
export class Ledger {
  private readonly held = new Map<string, Held>();
  private readonly versions = new Map<string, Array<Version | null>>();
  private turn: number;

  constructor(private readonly worker: number, private readonly procs: readonly Target[], private readonly tally: Tally) {
    this.turn = worker;
  }

  private next(): Target {
    return this.procs[this.turn++ % this.procs.length]!;
  }

  private key(i: number): string {
    return `o/w${this.worker}/k${i}`;
  }

  /** A read through the next process must give what was just acknowledged. */
  private async readBack(op: string, key: string, want: Held | null, bucket = BUCKET_OWNED): Promise<void> {
    const r = await this.tally.send(`${op}-readback`, this.next(), { method: 'GET', bucket, key }, want ? [200] : [404]);
    if (r && want && r.status === 200) this.compare(`${op}-readback`, key, r, want);
  }

  private compare(op: string, key: string, r: BenchResponse, want: Held): void {
    const got = md5(r.data);
    const etag = String(r.headers.etag ?? '');
    if (got !== want.md5 || r.bytes !== want.size) this.tally.fault(`${op} bytes-differ`, `${key}: ${r.bytes} B md5 ${got}, acknowledged ${want.size} B ${want.md5}`);
    else if (want.etag !== '' && etag !== want.etag) this.tally.fault(`${op} etag-differs`, `${key}: ETag ${etag}, acknowledged ${want.etag}`);
  }

  async step(): Promise<void> {
    const kind = Math.floor(Math.random() * 8);
    const k = this.key(Math.floor(Math.random() * KEYS));
    if (kind <= 1) {
      const body = randomBytes([300, 70_000, 300_000][Math.floor(Math.random() * 3)]!);
      const r = await this.tally.send('put', this.next(), { method: 'PUT', bucket: BUCKET_OWNED, key: k, body }, [200]);
      if (r?.status !== 200) return;
      const h = { md5: md5(body), size: body.length, etag: etagOf(r), body };
      this.held.set(k, h);
      await this.readBack('put', k, h);
    } else if (kind === 2) {
      const a = `o/w${this.worker}/a${Math.floor(Math.random() * APPENDS)}`;
      const before = this.held.get(a);
      const add = randomBytes(Math.random() < 0.7 ? 200 : 70_000);
      const position = before?.size ?? 0;
      const r = await this.tally.send('append', this.next(), { method: 'POST', bucket: BUCKET_OWNED, key: a, query: [['append', ''], ['position', String(position)]], body: add }, [200]);
      if (r?.status !== 200) return;
      const body = Buffer.concat([before?.body ?? Buffer.alloc(0), add]);
      const h = { md5: md5(body), size: body.length, etag: etagOf(r), body };
      this.held.set(a, h);
      await this.readBack('append', a, h);
    } else if (kind === 3) {
      const from = this.key(Math.floor(Math.random() * KEYS));
      const src = this.held.get(from);
      if (!src || from === k) return;
      const t = this.next();
      const r = await this.tally.send('copy', t, { method: 'PUT', bucket: BUCKET_OWNED, key: k, body: Buffer.alloc(0), headers: { 'x-oss-copy-source': `/${BUCKET_OWNED}/${from}` } }, [200]);
      if (r?.status !== 200) return;
      const h = { ...src, etag: etagOf(r) };
      this.held.set(k, h);
      await this.readBack('copy', k, h);
    } else if (kind === 4) {
      const r = await this.tally.send('delete', this.next(), { method: 'DELETE', bucket: BUCKET_OWNED, key: k }, [204]);
      if (r?.status !== 204) return;
      this.held.delete(k);
      await this.readBack('delete', k, null);
    } else if (kind === 5) {
      await this.multipart(k);
    } else if (kind === 6) {
      await this.versioned();
    } else {
      await this.list();
    }
  }

  /** Initiate, two parts and complete, each on the next process. */
  private async multipart(k: string): Promise<void> {
    const init = await this.tally.send('mp-initiate', this.next(), { method: 'POST', bucket: BUCKET_OWNED, key: k, query: [['uploads', '']] }, [200]);
    const id = init && tagOf(init.text, 'UploadId');
    if (id === undefined || id === null) return;
    const parts = [randomBytes(100 * 1024), randomBytes(1 + Math.floor(Math.random() * 50_000))];
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const r = await this.tally.send('mp-part', this.next(), { method: 'PUT', bucket: BUCKET_OWNED, key: k, query: [['partNumber', String(i + 1)], ['uploadId', id]], body }, [200]);
      if (r?.status !== 200) return;
      etags.push(String(r.headers.etag));
    }
    const xml = Buffer.from(`<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`);
    const r = await this.tally.send('mp-complete', this.next(), { method: 'POST', bucket: BUCKET_OWNED, key: k, query: [['uploadId', id]], body: xml }, [200]);
    if (r?.status !== 200) return;
    const body = Buffer.concat(parts);
    const h = { md5: md5(body), size: body.length, etag: etagOf(r), body };
    this.held.set(k, h);
    await this.readBack('mp-complete', k, h);
  }

  /** A versioned key: a new version, a delete marker, or a named version deleted; then its latest read back. */
  private async versioned(): Promise<void> {
    const key = `v/w${this.worker}/k${Math.floor(Math.random() * VKEYS)}`;
    // The key's versions and delete markers (null), oldest first: the last is the current one.
    const stack = this.versions.get(key) ?? [];
    this.versions.set(key, stack);
    const x = Math.random();
    if (x < 0.6) {
      const body = randomBytes(Math.random() < 0.5 ? 500 : 80_000);
      const r = await this.tally.send('v-put', this.next(), { method: 'PUT', bucket: BUCKET_VERSIONED, key, body }, [200]);
      if (r?.status !== 200) return;
      stack.push({ md5: md5(body), size: body.length, etag: etagOf(r), body, versionId: String(r.headers['x-oss-version-id']) });
    } else if (x < 0.8) {
      const r = await this.tally.send('v-delete', this.next(), { method: 'DELETE', bucket: BUCKET_VERSIONED, key }, [204]);
      if (r?.status !== 204) return;
      stack.push(null);
    } else {
      const live = stack.filter((v): v is Version => v !== null);
      const v = live[Math.floor(Math.random() * live.length)];
      if (!v) return;
      const r = await this.tally.send('v-delete-version', this.next(), { method: 'DELETE', bucket: BUCKET_VERSIONED, key, query: [['versionId', v.versionId]] }, [204]);
      if (r?.status !== 204) return;
      stack.splice(stack.indexOf(v), 1);
    }
    await this.readBack('versioned', key, stack[stack.length - 1] ?? null, BUCKET_VERSIONED);
  }

  /** This worker's prefix listed through the next process: exactly its keys, with their ETags and sizes. */
  private async list(): Promise<void> {
    const r = await this.tally.send('list-own', this.next(), { method: 'GET', bucket: BUCKET_OWNED, key: null, query: [['prefix', `o/w${this.worker}/`], ['max-keys', '1000']] }, [200]);
    if (r?.status !== 200) return;
    const listed = new Map<string, { etag: string; size: number }>();
    for (const m of r.text.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
      listed.set(tagOf(m[1]!, 'Key')!, { etag: tagOf(m[1]!, 'ETag')!.replace(/&quot;/g, '"'), size: Number(tagOf(m[1]!, 'Size')) });
    }
    for (const [k, h] of this.held) {
      const l = listed.get(k);
      if (!l) this.tally.fault('list-own missing', `${k} acknowledged (${h.size} B) but not listed`);
      else if (l.size !== h.size || (h.etag !== '' && l.etag !== h.etag)) this.tally.fault('list-own differs', `${k}: listed ${l.size} B ${l.etag}, acknowledged ${h.size} B ${h.etag}`);
    }
    for (const k of listed.keys()) if (!this.held.has(k)) this.tally.fault('list-own extra', `${k} listed but deleted or never acknowledged`);
  }

  /** Every key this worker acknowledged, read through every process; and every version still live. */
  async verify(): Promise<number> {
    let checked = 0;
    for (const t of this.procs) {
      for (let i = 0; i < KEYS; i++) {
        const k = this.key(i);
        await this.readBackOn(t, 'verify', k, this.held.get(k) ?? null, BUCKET_OWNED);
        checked++;
      }
      for (let i = 0; i < APPENDS; i++) {
        const a = `o/w${this.worker}/a${i}`;
        await this.readBackOn(t, 'verify', a, this.held.get(a) ?? null, BUCKET_OWNED);
        checked++;
      }
      for (const [key, stack] of this.versions) {
        await this.readBackOn(t, 'verify', key, stack[stack.length - 1] ?? null, BUCKET_VERSIONED);
        for (const v of stack) {
          if (v === null) continue;
          const r = await this.tally.send('verify-version', t, { method: 'GET', bucket: BUCKET_VERSIONED, key, query: [['versionId', v.versionId]] }, [200]);
          if (r?.status === 200) this.compare('verify-version', key, r, v);
          checked++;
        }
      }
    }
    return checked;
  }

  private async readBackOn(t: Target, op: string, key: string, want: Held | null, bucket: string): Promise<void> {
    const r = await this.tally.send(op, t, { method: 'GET', bucket, key }, want ? [200] : [404]);
    if (r && want && r.status === 200) this.compare(op, key, r, want);
  }
}

/**
 * Races across processes on shared state: appends to one object at the position each worker last saw (the
 * losers get 409 PositionNotEqualToLength), and one part number of one upload sent through two processes at
 * once, then completed with the ETag ListParts gives. `verify` checks every acknowledged append's bytes at its
 * position, and each completed upload holds one of the two bodies sent.
 */
export class Races {
  static readonly APPEND_KEY = 'race/append';
  private readonly appended: Array<{ position: number; md5: string; size: number }> = [];
  private readonly completed: Array<{ key: string; md5s: Set<string> }> = [];
  private n = 0;

  constructor(private readonly procs: readonly Target[], private readonly tally: Tally) {}

  private next(): Target {
    return this.procs[this.n++ % this.procs.length]!;
  }

  async append(): Promise<void> {
    const head = await this.tally.send('race-head', this.next(), { method: 'HEAD', bucket: BUCKET_OWNED, key: Races.APPEND_KEY }, [200, 404]);
    if (!head) return;
    const position = head.status === 404 ? 0 : Number(head.headers['x-oss-next-append-position']);
    const body = randomBytes(100 + Math.floor(Math.random() * 200));
    const r = await this.tally.send('race-append', this.next(), { method: 'POST', bucket: BUCKET_OWNED, key: Races.APPEND_KEY, query: [['append', ''], ['position', String(position)]], body }, [200, 409]);
    if (r?.status === 200) this.appended.push({ position, md5: md5(body), size: body.length });
    else if (r?.status === 409 && codeOf(r.text) !== 'PositionNotEqualToLength') this.tally.fault(`race-append 409 ${codeOf(r.text)}`, r.text);
  }

  async part(): Promise<void> {
    const key = `race/mp/${Math.floor(Math.random() * 1e9)}`;
    const init = await this.tally.send('race-mp-initiate', this.next(), { method: 'POST', bucket: BUCKET_OWNED, key, query: [['uploads', '']] }, [200]);
    const id = init && tagOf(init.text, 'UploadId');
    if (id === undefined || id === null) return;
    const bodies = [randomBytes(70_000), randomBytes(300)];
    const sent = await Promise.all(bodies.map((body) => this.tally.send('race-mp-part', this.next(), { method: 'PUT', bucket: BUCKET_OWNED, key, query: [['partNumber', '1'], ['uploadId', id]], body }, [200])));
    if (sent.some((r) => r?.status !== 200)) return;
    const list = await this.tally.send('race-mp-list-parts', this.next(), { method: 'GET', bucket: BUCKET_OWNED, key, query: [['uploadId', id]] }, [200]);
    const etag = list && tagOf(list.text, 'ETag')?.replace(/&quot;/g, '"');
    if (etag === undefined || etag === null) return;
    const xml = Buffer.from(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`);
    const r = await this.tally.send('race-mp-complete', this.next(), { method: 'POST', bucket: BUCKET_OWNED, key, query: [['uploadId', id]], body: xml }, [200]);
    if (r?.status === 200) this.completed.push({ key, md5s: new Set(bodies.map(md5)) });
  }

  async verify(): Promise<number> {
    let checked = 0;
    for (const t of this.procs) {
      if (this.appended.length > 0) {
        const r = await this.tally.send('verify-race-append', t, { method: 'GET', bucket: BUCKET_OWNED, key: Races.APPEND_KEY }, [200]);
        if (r?.status === 200) {
          for (const a of this.appended) {
            const got = md5(r.data.subarray(a.position, a.position + a.size));
            if (got !== a.md5) this.tally.fault('verify-race-append bytes-differ', `${a.size} B acknowledged at ${a.position}, object ${r.data.length} B`);
          }
          const end = Math.max(...this.appended.map((a) => a.position + a.size));
          if (r.data.length !== end) this.tally.fault('verify-race-append size', `${r.data.length} B, acknowledged appends end at ${end}`);
          checked += this.appended.length;
        }
      }
      for (const c of this.completed) {
        const r = await this.tally.send('verify-race-mp', t, { method: 'GET', bucket: BUCKET_OWNED, key: c.key }, [200]);
        if (r?.status === 200 && !c.md5s.has(md5(r.data))) this.tally.fault('verify-race-mp bytes-not-sent', `${c.key}: ${r.data.length} B`);
        checked++;
      }
    }
    return checked;
  }
}
