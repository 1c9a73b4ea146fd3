// SelectObject keeps 64-bit integers exact (docs/select.md "Numbers"): IDs, byte counts and nanosecond timestamps
// past 2^53 are read from CSV and JSON, compared, added up, cast and written back digit for digit; an integer result
// beyond int64 is the documented data error, never a rounded number.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OSS from 'ali-oss';
import { rawObjectRequest } from './helpers/oss.js';
import { csvRequest as selectCsv, jsonRequest as selectJson, parseFrames } from './helpers/select.js';
import { startWorkerServer, type WorkerServer } from './helpers/worker-server.js';

const BUCKET = 'select-int64';
/** The output records and the end frame (status, `Code.message`) of a framed select answer. */
function frames(body: Buffer): { data: string; status: number; error: string } {
  const parsed = parseFrames(body, false);
  return { data: parsed.data.toString('utf8'), status: parsed.end?.status ?? -1, error: parsed.end?.error ?? '' };
}

const csvRequest = (sql: string): string => selectCsv(sql, { header: 'Use' });
const jsonRequest = (sql: string, numbersAsString = false, type: 'DOCUMENT' | 'LINES' = 'LINES'): string =>
  selectJson(sql, type, `<ParseJsonNumberAsString>${numbersAsString ? 'true' : 'false'}</ParseJsonNumberAsString>`);

// 2^53 + 1 (the first integer a double cannot hold), 2^53, and the ends of int64.
const CSV = [
  'id,bytes,note',
  '9007199254740993,9007199254740993,a',
  '9007199254740992,1,b',
  '-9223372036854775808,4611686018427387904,c',
  '9223372036854775807,4611686018427387903,d',
].join('\n') + '\n';

const JSONL = [
  '{"id":9007199254740993,"bytes":4611686018427387904,"tag":"a"}',
  '{"id":9007199254740992,"bytes":4611686018427387903,"tag":"b"}',
  '{"id":-9223372036854775808,"bytes":0,"tag":"c","deep":{"ns":[1700000000123456789,2]}}',
].join('\n') + '\n';

describe('SelectObject: 64-bit integers stay exact', () => {
  let srv: WorkerServer;
  let client: OSS;

  before(async () => {
    srv = await startWorkerServer();
    client = srv.client({ bucket: BUCKET });
    await srv.client().putBucket(BUCKET);
    await client.put('ids.csv', Buffer.from(CSV));
    await client.put('ids.jsonl', Buffer.from(JSONL));
    await client.put('ids.json', Buffer.from('{"rows":[{"id":9007199254740993,"n":1},{"id":9007199254740992,"n":2}]}'));
  });
  after(async () => {
    await srv?.stop();
  });

  const select = async (key: string, process: string, xml: string): Promise<{ data: string; status: number; error: string }> => {
    const res = await rawObjectRequest(client, 'POST', key, {
      subres: { 'x-oss-process': process }, content: Buffer.from(xml), mime: 'application/xml', successStatuses: [206],
    });
    return frames(res.data as Buffer);
  };
  const csv = async (sql: string): Promise<string> => {
    const r = await select('ids.csv', 'csv/select', csvRequest(sql));
    assert.equal(r.status, 206, r.error);
    return r.data;
  };
  const json = async (sql: string, numbersAsString = false): Promise<string> => {
    const r = await select('ids.jsonl', 'json/select', jsonRequest(sql, numbersAsString));
    assert.equal(r.status, 206, r.error);
    return r.data;
  };

  test('CSV: WHERE equality on an integer past 2^53 picks that record only', async () => {
    assert.equal(await csv('select note from ossobject where id = 9007199254740993'), 'a\n');
    assert.equal(await csv('select note from ossobject where id = 9007199254740992'), 'b\n');
    assert.equal(await csv('select note from ossobject where id > 9007199254740992 and id < 9223372036854775807'), 'a\n');
    assert.equal(await csv('select note from ossobject where id in (-9223372036854775808, 9007199254740993)'), 'a\nc\n');
    // Against a double the comparison is exact too: 2^53 + 1 is above 2^53 + 0.5.
    assert.equal(await csv('select note from ossobject where id > 9007199254740992.5'), 'a\nd\n');
  });

  test('CSV: arithmetic, CAST, SUM, MIN, MAX and AVG keep every digit in the CSV output', async () => {
    assert.equal(await csv("select id + 0, id - 1, id * 1, id / 1, id % 10, -id from ossobject where note = 'a'"),
      '9007199254740993,9007199254740992,9007199254740993,9007199254740993,3,-9007199254740993\n');
    assert.equal(await csv("select bytes * 2 - 1, bytes + bytes from ossobject where note = 'd'"), '9223372036854775805,9223372036854775806\n');
    assert.equal(await csv("select cast(id as int), cast('9007199254740993' as int), cast('9007199254740993.9' as int), cast(id as decimal) from ossobject where note = 'a'"),
      '9007199254740993,9007199254740993,9007199254740993,9007199254740993\n');
    assert.equal(await csv("select sum(bytes) from ossobject where note in ('c', 'd')"), '9223372036854775807\n');
    assert.equal(await csv("select sum(cast(id as int)), max(id), avg(bytes) from ossobject where note in ('a', 'b')"),
      '18014398509481985,9007199254740993,4503599627370497\n');
    assert.equal(await csv('select min(id), max(id), count(*) from ossobject'), '-9223372036854775808,9223372036854775807,4\n');
    // The least int64 is a literal; small integers are as before (integer division truncates).
    assert.equal(await csv("select -9223372036854775808, 9223372036854775807, 7 / 2, -7 / 2, 7 % 3 from ossobject where note = 'a'"),
      '-9223372036854775808,9223372036854775807,3,-3,1\n');
  });

  test('CSV: a double stays a double; an integer result beyond int64 is a data error in the end frame', async () => {
    // Mixed with a double, or cast to one, the value is a double: 2^53 + 1 has no double and rounds to 2^53, and
    // 2^53 + 0.5 rounds to 2^53 again.
    assert.equal(await csv("select cast(id as double), id + 0.5, id * 1.5 from ossobject where note = 'b'"), '9007199254740992,9007199254740992,13510798882111488\n');
    assert.equal(await csv("select cast(id as double), id + 0.5 from ossobject where note = 'a'"), '9007199254740992,9007199254740992\n');
    const over = await select('ids.csv', 'csv/select', csvRequest("select id + 1 from ossobject where note = 'd'"));
    assert.equal(over.data, '');
    assert.equal(over.status, 400);
    assert.equal(over.error, 'InvalidSqlExpression.An integer result is beyond the 64-bit range. (record 4)');
    const sum = await select('ids.csv', 'csv/select', csvRequest('select sum(bytes) from ossobject'));
    assert.equal(sum.status, 400);
    assert.match(sum.error, /^InvalidSqlExpression\.An integer result is beyond the 64-bit range\./);
    const cast = await select('ids.csv', 'csv/select', csvRequest("select cast('9223372036854775808' as int) from ossobject"));
    assert.equal(cast.status, 400);
    assert.equal(cast.error, 'InvalidSqlExpression.A value cannot be cast to INT: it is beyond the 64-bit range. (record 1)');
    // Just below the least int64 too: the text's double rounds to -2^63 itself (doubles there are 2048 apart), and the
    // cast answered -9223372036854775808 for '-9223372036854775809'; read by its digits, it is beyond the range.
    for (const text of ['-9223372036854775809', '-9223372036854776832', '  -9223372036854775809 ']) {
      const below = await select('ids.csv', 'csv/select', csvRequest(`select cast('${text}' as int) from ossobject where note = 'a'`));
      assert.equal(below.data, '', text);
      assert.equal(below.status, 400, text);
      assert.equal(below.error, 'InvalidSqlExpression.A value cannot be cast to INT: it is beyond the 64-bit range. (record 1)', text);
    }
  });

  test('CSV: an integer past 2^53 against a double that overflowed (Infinity, NaN) compares as doubles do; no cast to INT', async () => {
    // 1e308 * 10 is Infinity and Infinity - Infinity NaN: an exact integer compared with them was a RangeError (BigInt
    // of a non-finite double), answered as an end frame InternalError "The select failed.".
    assert.equal(await csv("select note from ossobject where note = 'a' and id < 1e308 * 10"), 'a\n');
    assert.equal(await csv("select note from ossobject where note = 'a' and id > -1e308 * 10"), 'a\n');
    assert.equal(await csv("select note from ossobject where id = 1e308 * 10 - 1e308 * 10"), '');
    assert.equal(await csv("select max(id), min(1e308 * 10) from ossobject where note in ('a', 'b')"), '9007199254740993,Infinity\n');
    const cast = await select('ids.csv', 'csv/select', csvRequest("select cast(1e308 * 10 as int) from ossobject where note = 'a'"));
    assert.equal(cast.status, 400);
    assert.equal(cast.error, 'InvalidSqlExpression.A value cannot be cast to INT: it is beyond the 64-bit range. (record 1)');
  });

  test('JSON: records with integers past 2^53 are selected and written back digit for digit', async () => {
    assert.equal(await json('select * from ossobject s where s.id = 9007199254740993'),
      '{"id":9007199254740993,"bytes":4611686018427387904,"tag":"a"}\n');
    assert.equal(await json("select s.id, s.id + 2 as plus, s.deep, s.deep.ns[0] / 1000000000 as secs from ossobject s where s.tag = 'c'"),
      '{"id":-9223372036854775808,"plus":-9223372036854775806,"deep":{"ns":[1700000000123456789,2]},"secs":1700000000}\n');
    assert.equal(await json('select sum(s.bytes) as total, min(s.id) as lo, max(s.id) as hi, count(*) as n from ossobject s'),
      '{"total":9223372036854775807,"lo":-9223372036854775808,"hi":9007199254740993,"n":3}\n');
    assert.equal(await json("select cast(s.id as int) as i, cast(s.id as string) as t, s.id * 1 as m from ossobject s where s.tag = 'a'"),
      '{"i":9007199254740993,"t":"9007199254740993","m":9007199254740993}\n');
  });

  test('JSON DOCUMENT: the same exact reading, through FROM ossobject.rows[*]', async () => {
    const r = await select('ids.json', 'json/select', jsonRequest('select s.n, s.id - 1 as prev from ossobject.rows[*] s where s.id = 9007199254740993', false, 'DOCUMENT'));
    assert.equal(r.status, 206, r.error);
    assert.equal(r.data, '{"n":1,"prev":9007199254740992}\n');
  });

  test('JSON with ParseJsonNumberAsString: the numbers\' text compares and computes exactly', async () => {
    assert.equal(await json('select s.id, s.id + 0 as v from ossobject s where s.id = 9007199254740993', true), '{"id":9007199254740993,"v":9007199254740993}\n');
    assert.equal(await json('select max(s.bytes) as m from ossobject s', true), '{"m":4611686018427387904}\n');
  });
});
