import { readFile } from 'node:fs/promises';
import { Argument, Command } from 'commander';
import { warnPolicyLint } from './policy-file.js';
import { ossClient, parseOssUrl, type OssClient } from './oss-client.js';
import { printJson, printRecord, remote, setEndpointForErrors, UsageError } from './output.js';
import { resolveConnection, type ConnectionFlags } from './profile.js';

// `alunite oss bucket cors|policy|acl …`: a bucket's sub-resources, as documents a user keeps in files.
// CORS files are JSON with the API's own element names (what `cors get` prints) or the XML body itself.

interface Common extends ConnectionFlags {
  json?: boolean;
}

export const BUCKET_ACLS = ['private', 'public-read', 'public-read-write', 'authenticated-read'] as const;

/** One CORS rule as the API names its elements (PutBucketCors / GetBucketCors). */
export interface CorsRuleDoc {
  AllowedOrigin: string[];
  AllowedMethod: string[];
  AllowedHeader?: string[];
  ExposeHeader?: string[];
  MaxAgeSeconds?: number;
}
export interface CorsDoc {
  CORSRule: CorsRuleDoc[];
  ResponseVary?: boolean;
}

const LIST_FIELDS = ['AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader'] as const;

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]);

/**
 * A CORS JSON document (`{CORSRule: [...], ResponseVary}` or just the array of rules) as the XML body.
 * Only the shape is checked here (so a typo is a usage error naming it); the service checks the values.
 */
export function corsXml(doc: unknown, file: string): string {
  const top = Array.isArray(doc) ? { CORSRule: doc } : doc;
  if (top === null || typeof top !== 'object') throw new UsageError(`${file}: expected {"CORSRule": [...]} or an array of rules`);
  const t = top as Record<string, unknown>;
  for (const k of Object.keys(t)) if (k !== 'CORSRule' && k !== 'ResponseVary') throw new UsageError(`${file}: unknown field "${k}" (expected CORSRule, ResponseVary)`);
  if (t.ResponseVary !== undefined && typeof t.ResponseVary !== 'boolean') throw new UsageError(`${file}: ResponseVary must be true or false`);
  const rules = asList(t.CORSRule).map((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new UsageError(`${file}: CORSRule[${i}] must be an object`);
    const rule = r as Record<string, unknown>;
    let xml = '<CORSRule>';
    for (const k of Object.keys(rule)) {
      if (!(LIST_FIELDS as readonly string[]).includes(k) && k !== 'MaxAgeSeconds') {
        throw new UsageError(`${file}: CORSRule[${i}]: unknown field "${k}" (expected ${LIST_FIELDS.join(', ')}, MaxAgeSeconds)`);
      }
    }
    for (const k of LIST_FIELDS) {
      for (const v of asList(rule[k])) {
        if (typeof v !== 'string') throw new UsageError(`${file}: CORSRule[${i}].${k} must be a string or a list of strings`);
        xml += `<${k}>${escapeXml(v)}</${k}>`;
      }
    }
    if (rule.MaxAgeSeconds !== undefined) {
      if (!Number.isInteger(rule.MaxAgeSeconds)) throw new UsageError(`${file}: CORSRule[${i}].MaxAgeSeconds must be an integer`);
      xml += `<MaxAgeSeconds>${String(rule.MaxAgeSeconds)}</MaxAgeSeconds>`;
    }
    return `${xml}</CORSRule>`;
  });
  const vary = t.ResponseVary !== undefined ? `<ResponseVary>${String(t.ResponseVary)}</ResponseVary>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration>${rules.join('')}${vary}</CORSConfiguration>`;
}

/** GetBucketCors as parsed by ali-oss's XML reader (repeated elements become arrays) → the JSON document. */
export function corsDoc(data: Record<string, unknown>): CorsDoc {
  const rules = asList(data.CORSRule).map((r) => {
    const rule = r as Record<string, unknown>;
    const out: CorsRuleDoc = { AllowedOrigin: asList(rule.AllowedOrigin).map(String), AllowedMethod: asList(rule.AllowedMethod).map(String) };
    const headers = asList(rule.AllowedHeader).map(String);
    const expose = asList(rule.ExposeHeader).map(String);
    if (headers.length) out.AllowedHeader = headers;
    if (expose.length) out.ExposeHeader = expose;
    if (rule.MaxAgeSeconds !== undefined && rule.MaxAgeSeconds !== '') out.MaxAgeSeconds = Number(rule.MaxAgeSeconds);
    return out;
  });
  return { CORSRule: rules, ...(data.ResponseVary !== undefined ? { ResponseVary: String(data.ResponseVary) === 'true' } : {}) };
}

async function readInput(file: string, what: string): Promise<string> {
  try {
    if (file !== '-') return await readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message}`);
  }
}

function parseJson(text: string, what: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} ${file} is not JSON: ${(err as Error).message}`);
  }
}

/** A bucket URL (no key), a client for it, and the request the sub-resource commands send. */
async function bucketOf(cmd: Command, url: string): Promise<{ o: Common; bucket: string; client: OssClient }> {
  const o = cmd.opts<Common>();
  const u = parseOssUrl(url);
  if (u.key !== '') throw new UsageError(`${url}: a bucket URL has no key (oss://${u.bucket})`);
  const conn = await resolveConnection(o);
  setEndpointForErrors(conn.endpoint);
  return { o, bucket: u.bucket, client: await ossClient(conn) };
}

const requestId = (r: { res: { headers: Record<string, string> } }): string | undefined => r.res.headers['x-oss-request-id'];

function done(o: Common, bucket: string, r: { res: { headers: Record<string, string> } }, message: string): void {
  if (o.json) printJson({ bucket, requestId: requestId(r) });
  else process.stdout.write(`${message}\n`);
}

function leaf(parent: Command, name: string, description: string): Command {
  return remote(parent.command(name).description(description).argument('<url>', 'oss://bucket'));
}

export function bucketCommand(): Command {
  const bucket = new Command('bucket').description("a bucket's CORS rules, policy and ACL");

  const cors = bucket.command('cors').description('CORS rules (PutBucketCors, GetBucketCors, DeleteBucketCors)');
  const corsGet = leaf(cors, 'get', 'print the CORS rules as the JSON document `cors put` takes');
  corsGet.action(async (url: string) => {
    const { bucket: b, client } = await bucketOf(corsGet, url);
    const r = await client.request({ method: 'GET', bucket: b, subres: 'cors', successStatuses: [200], xmlResponse: true });
    printJson(corsDoc((r.data ?? {}) as Record<string, unknown>));
  });
  const corsPut = leaf(cors, 'put', 'replace the CORS rules').argument('<file>', 'JSON {"CORSRule": [...], "ResponseVary": false} (or the rules array, or the XML body); - for stdin');
  corsPut.action(async (url: string, file: string) => {
    const text = await readInput(file, 'CORS configuration');
    const body = text.trimStart().startsWith('<') ? text : corsXml(parseJson(text, 'CORS configuration', file), file);
    const { o, bucket: b, client } = await bucketOf(corsPut, url);
    const r = await client.request({ method: 'PUT', bucket: b, subres: 'cors', content: body, mime: 'xml', successStatuses: [200] });
    done(o, b, r, `cors: oss://${b} updated`);
  });
  const corsDel = leaf(cors, 'delete', 'delete the CORS rules');
  corsDel.action(async (url: string) => {
    const { o, bucket: b, client } = await bucketOf(corsDel, url);
    done(o, b, await client.request({ method: 'DELETE', bucket: b, subres: 'cors', successStatuses: [204] }), `cors: oss://${b} deleted`);
  });

  const policy = bucket.command('policy').description('bucket policy (PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy)');
  const polGet = leaf(policy, 'get', 'print the bucket policy document');
  polGet.action(async (url: string) => {
    const { bucket: b, client } = await bucketOf(polGet, url);
    const r = await client.request({ method: 'GET', bucket: b, subres: 'policy', successStatuses: [200] });
    const text = Buffer.isBuffer(r.data) ? r.data.toString('utf8') : String(r.data ?? '');
    // The stored document, pretty-printed (same JSON either way: it is already a JSON document).
    printJson(parseJson(text, 'the policy returned for', `oss://${b}`));
  });
  const polPut = leaf(policy, 'put', 'replace the bucket policy').argument('<file>', 'policy JSON file (- for stdin), sent as written');
  polPut.action(async (url: string, file: string) => {
    const text = await readInput(file, 'bucket policy');
    parseJson(text, 'bucket policy', file);
    // The server is the judge of validity; the linter's warnings (no Principal = everyone, unknown actions,
    // resources of another bucket…) are said before the policy takes effect, on stderr.
    await warnPolicyLint(file, text, 'bucket');
    const { o, bucket: b, client } = await bucketOf(polPut, url);
    done(o, b, await client.request({ method: 'PUT', bucket: b, subres: 'policy', content: text, mime: 'json', successStatuses: [200] }), `policy: oss://${b} updated`);
  });
  const polDel = leaf(policy, 'delete', 'delete the bucket policy');
  polDel.action(async (url: string) => {
    const { o, bucket: b, client } = await bucketOf(polDel, url);
    done(o, b, await client.request({ method: 'DELETE', bucket: b, subres: 'policy', successStatuses: [204] }), `policy: oss://${b} deleted`);
  });

  const acl = bucket.command('acl').description('bucket ACL (GetBucketAcl, PutBucketAcl)');
  const aclGet = leaf(acl, 'get', "show the bucket's ACL and owner");
  aclGet.action(async (url: string) => {
    const { o, bucket: b, client } = await bucketOf(aclGet, url);
    const r = await client.getBucketACL(b);
    if (o.json) printJson({ bucket: b, acl: r.acl, owner: r.owner.id, requestId: requestId(r) });
    else printRecord({ Bucket: b, ACL: r.acl, Owner: r.owner.id });
  });
  const aclSet = leaf(acl, 'set', "change the bucket's ACL").addArgument(new Argument('<acl>', 'the canned ACL').choices(BUCKET_ACLS));
  aclSet.action(async (url: string, value: string) => {
    const { o, bucket: b, client } = await bucketOf(aclSet, url);
    done(o, b, await client.putBucketACL(b, value), `acl: oss://${b} is ${value}`);
  });
  return bucket;
}
