// The rest of the Go SDK v1's current tests (aliyun/aliyun-oss-go-sdk `oss/livechannel_test.go`, `upload_test.go`,
// `download_test.go`, `multicopy_test.go`, `select_csv_objcet_test.go`), read from the source and replayed with the
// requests the SDK sends (V1 header signatures), against a real server: each case names the test it comes from.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawRequest, v1Authorization } from './helpers/raw-http.js';
import { AK, SECRET, startTestServer, type TestServer } from './helpers/server.js';
import { failsWith, signedRequest, succeeds } from './helpers/signed.js';

let srv: TestServer;

before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.stop();
});

const tag = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const tags = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);

/** A V1-signed request with the given Host (virtual-hosted style when it starts with the bucket). */
async function onHost(host: string, method: string, bucket: string, key: string, query: Array<[string, string]>, body?: string) {
  const qs = query.map(([k, v]) => (v === '' ? k : `${k}=${encodeURIComponent(v)}`)).join('&');
  const headers: Record<string, string> = { host, 'x-oss-date': new Date().toUTCString() };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  headers.authorization = v1Authorization({ method, bucket, key, query, headers }, AK, SECRET).authorization;
  const path = host.startsWith(`${bucket}.`) ? `/${key}?${qs}` : `/${bucket}/${key}?${qs}`;
  const res = await rawRequest(srv.port, { method, path, headers, body });
  return { status: res.status, text: res.body.toString('utf8') };
}

/** What the Go SDK's CreateLiveChannel writes for a config with only Target.Type (omitempty everywhere else). */
const goChannelBody = (target = '<Type>HLS</Type>', head = ''): string => `<LiveChannelConfiguration>${head}<Target>${target}</Target></LiveChannelConfiguration>`;

describe('live channels (livechannel_test.go)', () => {
  const B = 'go-live-bucket';
  before(async () => {
    succeeds(await signedRequest(srv.port, 'PUT', B, null, []));
  });

  it('PutLiveChannel answers URLs on the endpoint the client used (TestCreateLiveChannel; oss2 test_create_live_channel)', async () => {
    const body = goChannelBody('<Type>HLS</Type><PlaylistName>test-create-channel.m3u8</PlaylistName>', '<Description>livechannel for test</Description><Status>enabled</Status>');
    // The test's endpoint is this server's address: it expects `<bucket>.<endpoint>`.
    const local = `127.0.0.1:${srv.port}`;
    const made = await onHost(local, 'PUT', B, 'test-create-channel', [['live', '']], body);
    assert.equal(made.status, 200, made.text);
    assert.deepEqual(tags(made.text, 'Url'), [`rtmp://${B}.${local}/live/test-create-channel`, `http://${B}.${local}/test-create-channel/test-create-channel.m3u8`]);
    // ListLiveChannel names the same URLs.
    const listed = await onHost(local, 'GET', B, '', [['live', '']]);
    assert.deepEqual(tags(listed.text, 'Url'), tags(made.text, 'Url'));
    // Asked on OSS's own host name (virtual-hosted), OSS's.
    const cloud = await onHost(`${B}.oss-cn-hangzhou.aliyuncs.com`, 'PUT', B, 'test-create-channel', [['live', '']], body);
    assert.equal(cloud.status, 200, cloud.text);
    assert.deepEqual(tags(cloud.text, 'Url'), [
      `rtmp://${B}.oss-cn-hangzhou.aliyuncs.com/live/test-create-channel`, `http://${B}.oss-cn-hangzhou.aliyuncs.com/test-create-channel/test-create-channel.m3u8`,
    ]);
    succeeds(await signedRequest(srv.port, 'DELETE', B, 'test-create-channel', [['live', '']]), 204);
    // A Type other than HLS is refused.
    failsWith(await signedRequest(srv.port, 'PUT', B, 'test-create-channel', [['live', '']], { body: goChannelBody('<Type>aBcD</Type>') }), 'InvalidArgument', 400);
  });

  it('a missing channel is NoSuchLiveChannel with its EC; ListLiveChannel\'s bad parameters carry theirs (TestGetLiveChannelInfo, TestGetLiveChannelStat; OSS EC pages 0026-00000021, 0044-00000101..103)', async () => {
    for (const query of [[['live', '']], [['live', ''], ['comp', 'stat']], [['live', ''], ['comp', 'history']]] as Array<Array<[string, string]>>) {
      const r = failsWith(await signedRequest(srv.port, 'GET', B, 'test-get-channel-status', query), 'NoSuchLiveChannel', 404, '0026-00000021');
      assert.equal(r.err?.ChannelName, 'test-get-channel-status');
    }
    failsWith(await signedRequest(srv.port, 'GET', B, null, [['live', ''], ['max-keys', 'abc']]), 'InvalidArgument', 400, '0044-00000101');
    failsWith(await signedRequest(srv.port, 'GET', B, null, [['live', ''], ['max-keys', '1001']]), 'InvalidArgument', 400, '0044-00000101');
    failsWith(await signedRequest(srv.port, 'GET', B, null, [['live', ''], ['prefix', 'p'.repeat(1025)]]), 'InvalidArgument', 400, '0044-00000102');
    failsWith(await signedRequest(srv.port, 'GET', B, null, [['live', ''], ['marker', 'm'.repeat(1025)]]), 'InvalidArgument', 400, '0044-00000103');
    succeeds(await signedRequest(srv.port, 'GET', B, null, [['live', ''], ['prefix', 'p'.repeat(1024)], ['marker', 'm'.repeat(1024)]]));
  });

  it('PutLiveChannel and PutLiveChannelStatus refusals carry OSS\'s ECs (TestCreateLiveChannel, TestPutLiveChannelStatus: invalid type and status; OSS EC pages 0044-000000xx, 0017-00000255)', async () => {
    const put = (head: string, target: string) => signedRequest(srv.port, 'PUT', B, 'test-put-channel-status', [['live', '']], { body: goChannelBody(target, head) });
    const hls = '<Type>HLS</Type>';
    failsWith(await put(`<Description>${'d'.repeat(129)}</Description>`, hls), 'InvalidArgument', 400, '0044-00000001');
    // 128 bytes, not characters: 50 CJK characters are 150 bytes.
    failsWith(await put(`<Description>${'中'.repeat(50)}</Description>`, hls), 'InvalidArgument', 400, '0044-00000001');
    failsWith(await put('<Status>abcdefghi</Status>', hls), 'InvalidArgument', 400, '0044-00000002');
    failsWith(await put('', `${hls}<FragDuration>abc</FragDuration><FragCount>3</FragCount>`), 'InvalidArgument', 400, '0044-00000014');
    failsWith(await put('', `${hls}<FragDuration>101</FragDuration><FragCount>3</FragCount>`), 'InvalidArgument', 400, '0044-00000014');
    failsWith(await put('', `${hls}<FragDuration>2</FragDuration><FragCount>0</FragCount>`), 'InvalidArgument', 400, '0044-00000015');
    failsWith(await put('', `${hls}<PlaylistName>${'x'.repeat(124)}.m3u8</PlaylistName>`), 'InvalidArgument', 400, '0044-00000017');
    failsWith(await put('', `${hls}<PlaylistName>abc.text</PlaylistName>`), 'InvalidArgument', 400, '0044-00000018');
    failsWith(await put('', '<Type>aBcD</Type>'), 'InvalidArgument', 400);
    succeeds(await put('<Status>disabled</Status>', `${hls}<FragDuration>10</FragDuration><FragCount>4</FragCount><PlaylistName>${'x'.repeat(123)}.m3u8</PlaylistName>`));
    failsWith(await signedRequest(srv.port, 'PUT', B, 'test-put-channel-status', [['live', ''], ['status', 'abcdefghi']]), 'InvalidArgument', 400, '0017-00000255');
    succeeds(await signedRequest(srv.port, 'PUT', B, 'test-put-channel-status', [['live', ''], ['status', 'enabled']]));
    const info = succeeds(await signedRequest(srv.port, 'GET', B, 'test-put-channel-status', [['live', '']])).text;
    assert.deepEqual([tag(info, 'Status'), tag(info, 'FragDuration'), tag(info, 'FragCount')], ['enabled', '10', '4']);
    succeeds(await signedRequest(srv.port, 'DELETE', B, 'test-put-channel-status', [['live', '']]), 204);
  });

  it('200 channels in one bucket, listed 100 at a time (TestListLiveChannel; oss2 test_list_live_channel)', async () => {
    const LB = 'go-live-list';
    succeeds(await signedRequest(srv.port, 'PUT', LB, null, []));
    const empty = succeeds(await signedRequest(srv.port, 'GET', LB, null, [['live', '']])).text;
    assert.deepEqual([tag(empty, 'Prefix'), tag(empty, 'Marker'), tag(empty, 'NextMarker'), tag(empty, 'MaxKeys'), tag(empty, 'IsTruncated')], ['', '', '', '100', 'false']);
    const prefix = 'test-list-channel';
    for (let i = 0; i < 200; i++) {
      succeeds(await signedRequest(srv.port, 'PUT', LB, `${prefix}-${String(i).padStart(3, '0')}`, [['live', '']], { body: goChannelBody() }));
    }
    const first = succeeds(await signedRequest(srv.port, 'GET', LB, null, [['live', '']])).text;
    assert.deepEqual([tag(first, 'NextMarker'), tag(first, 'MaxKeys'), tag(first, 'IsTruncated'), tags(first, 'Name').length], [`${prefix}-099`, '100', 'true', 100]);
    const other = succeeds(await signedRequest(srv.port, 'GET', LB, null, [['live', ''], ['prefix', 'zQxWv']])).text;
    assert.deepEqual([tag(other, 'Prefix'), tag(other, 'IsTruncated'), tags(other, 'Name').length], ['zQxWv', 'false', 0]);
    const rest = succeeds(await signedRequest(srv.port, 'GET', LB, null, [['live', ''], ['prefix', prefix], ['marker', `${prefix}-100`]])).text;
    assert.deepEqual([tag(rest, 'Prefix'), tag(rest, 'Marker'), tag(rest, 'NextMarker'), tag(rest, 'IsTruncated'), tags(rest, 'Name').length], [prefix, `${prefix}-100`, '', 'false', 99]);
    const all = succeeds(await signedRequest(srv.port, 'GET', LB, null, [['live', ''], ['max-keys', '1000']])).text;
    assert.deepEqual([tag(all, 'MaxKeys'), tag(all, 'IsTruncated'), tags(all, 'Name').length], ['1000', 'false', 200]);
    // Up to 1,000 per bucket, their record up to 1 MiB: 400 channels with descriptions (about 140 KB) fit.
    for (let i = 200; i < 400; i++) {
      succeeds(await signedRequest(srv.port, 'PUT', LB, `${prefix}-${String(i).padStart(3, '0')}`, [['live', '']], { body: goChannelBody('<Type>HLS</Type>', `<Description>${'d'.repeat(100)}</Description>`) }));
    }
    const more = succeeds(await signedRequest(srv.port, 'GET', LB, null, [['live', ''], ['max-keys', '1000']])).text;
    assert.equal(tags(more, 'Name').length, 400);
  });
});

/** The SelectRequest the Go SDK v1 writes (xml.Marshal of its SelectRequest: both CSV and JSON elements, an empty SplitRange in each, an empty Options). */
function goSelectBody(expr: string, opts: { csvIn?: string; jsonIn?: string; jsonOut?: string } = {}): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return `<SelectRequest><Expression>${b64(expr)}</Expression><InputSerialization><CSV>${opts.csvIn ?? ''}<SplitRange></SplitRange></CSV>` +
    `<JSON>${opts.jsonIn ?? ''}<SplitRange></SplitRange></JSON></InputSerialization><OutputSerialization><CSV></CSV><JSON>${opts.jsonOut ?? ''}</JSON></OutputSerialization><Options></Options></SelectRequest>`;
}

/** The data frames' bytes of a select answer (frame: type, payload length, header checksum, payload, checksum). */
async function selectData(bucket: string, key: string, process: 'csv/select' | 'json/select', body: string): Promise<{ status: number; data: string; code?: string }> {
  const headers: Record<string, string> = { host: `localhost:${srv.port}`, 'x-oss-date': new Date().toUTCString(), 'content-length': String(Buffer.byteLength(body)) };
  const query: Array<[string, string]> = [['x-oss-process', process]];
  headers.authorization = v1Authorization({ method: 'POST', bucket, key, query, headers }, AK, SECRET).authorization;
  const res = await rawRequest(srv.port, { method: 'POST', path: `/${bucket}/${key}?x-oss-process=${encodeURIComponent(process)}`, headers, body });
  if (res.status !== 206) return { status: res.status, data: '', code: tag(res.body.toString(), 'Code') };
  const parts: Buffer[] = [];
  for (let i = 0; i + 12 <= res.body.length;) {
    const type = res.body.readUInt32BE(i) & 0xffffff;
    const len = res.body.readUInt32BE(i + 4);
    if (type === 8388609) parts.push(res.body.subarray(i + 20, i + 12 + len));
    i += 12 + len + 4;
  }
  return { status: res.status, data: Buffer.concat(parts).toString('utf8') };
}

describe('SelectObject (select_csv_objcet_test.go, select_json_object_test.go)', () => {
  const B = 'go-select-bucket';
  const lines = [
    { person: { firstname: 'John', lastname: 'Kennedy', birthday: '1959-01-01' }, extra: 'e1', party: 'Democrat' },
    { person: { firstname: 'Ann', lastname: 'Lee', birthday: '1960-02-02' }, extra: 'e2', party: 'Republican' },
    { person: { firstname: 'Bo', lastname: 'Wu', birthday: '1961-03-03' }, extra: 'e3', party: 'Democrat' },
  ];
  before(async () => {
    succeeds(await signedRequest(srv.port, 'PUT', B, null, []));
    succeeds(await signedRequest(srv.port, 'PUT', B, 'sample_data.csv', [], { body: 'Year,StateAbbr,CityName,Data_Value,Data_Value_Unit\n2015,CA,Alpha,14.8,%\n2016,NY,Beta,20.1,%\n' }));
    succeeds(await signedRequest(srv.port, 'PUT', B, 'sample_json_lines.json', [], { body: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' }));
  });

  it('a select item that concatenates is refused, || in WHERE is not (TestSelectCsvObjectInvalidSql, TestSelectJsonLineInvalidSql; oss2 and Python SDK v2 invalid-SQL tests)', async () => {
    const csvUse = { csvIn: '<FileHeaderInfo>Use</FileHeaderInfo>' };
    const bad = await selectData(B, 'sample_data.csv', 'csv/select', goSelectBody('select year || CityName from ossobject', csvUse));
    assert.deepEqual([bad.status, bad.code], [400, 'InvalidSqlExpression']);
    const badJson = await selectData(B, 'sample_json_lines.json', 'json/select', goSelectBody('select person.lastname || person.firstname from ossobject', { jsonIn: '<Type>LINES</Type>' }));
    assert.deepEqual([badJson.status, badJson.code], [400, 'InvalidSqlExpression']);
    // TestSelectCsvObjectConcat and TestSelectJsonDocumentConcat: in WHERE it selects.
    const ok = await selectData(B, 'sample_data.csv', 'csv/select', goSelectBody("select Year,StateAbbr, CityName from ossobject where (data_value || data_value_unit) = '14.8%'", csvUse));
    assert.deepEqual([ok.status, ok.data], [206, '2015,CA,Alpha\n']);
    const okJson = await selectData(B, 'sample_json_lines.json', 'json/select', goSelectBody("select person.firstname from ossobject where (person.firstname || person.lastname) = 'JohnKennedy'", { jsonIn: '<Type>LINES</Type>' }));
    assert.deepEqual([okJson.status, okJson.data], [206, '{"firstname":"John"}\n']);
  });

  it('`… as aaa as firstname … from ossobject\'` runs: the last alias names the column, a trailing quote ends the SQL (TestSelectJsonLinesRange; oss2 test_select_json_object_line_range, test_select_csv_object_line_range)', async () => {
    const comma = Buffer.from(',').toString('base64');
    const r = await selectData(B, 'sample_json_lines.json', 'json/select', goSelectBody("select person.firstname as aaa as firstname, person.lastname, extra from ossobject'", {
      jsonIn: '<Type>LINES</Type><Range>line-range=0-1</Range>', jsonOut: `<RecordDelimiter>${comma}</RecordDelimiter>`,
    }));
    assert.equal(r.status, 206);
    assert.deepEqual(JSON.parse(`[${r.data.slice(0, -1)}]`), lines.slice(0, 2).map((l) => ({ firstname: l.person.firstname, lastname: l.person.lastname, extra: l.extra })));
    const csv = await selectData(B, 'sample_data.csv', 'csv/select', goSelectBody("select Year,StateAbbr, CityName from ossobject'", { csvIn: '<FileHeaderInfo>Use</FileHeaderInfo><Range>line-range=0-50</Range>' }));
    assert.deepEqual([csv.status, csv.data], [206, '2015,CA,Alpha\n2016,NY,Beta\n']);
    // A literal left open with text in it is still an error.
    const open = await selectData(B, 'sample_data.csv', 'csv/select', goSelectBody("select Year from ossobject where CityName = 'Alpha", { csvIn: '<FileHeaderInfo>Use</FileHeaderInfo>' }));
    assert.deepEqual([open.status, open.code], [400, 'InvalidSqlExpression']);
  });
});
