// SelectObject requests (the SelectRequest XML) and the frame stream of SelectObject and CreateSelectObjectMeta answers
// (docs/select.md), parsed as the SDKs do (the layout the Python oss2 SelectResponseAdapter reads: type, payload length,
// header checksum, payload, CRC32).
import assert from 'node:assert/strict';
import { crc32 as zlibCrc32 } from 'node:zlib';

export interface Parsed {
  data: Buffer;
  dataFrames: number;
  continuous: number;
  end?: { offset: bigint; scanned: bigint; status: number; error: string };
  meta?: { status: number; splits: number; rows: bigint; columns?: number; scanned: bigint; error: string };
}

/** Parses the frame stream as the SDKs do; checks payload CRCs when asked. */
export function parseFrames(body: Buffer, checkCrc: boolean): Parsed {
  const out: Parsed = { data: Buffer.alloc(0), dataFrames: 0, continuous: 0 };
  const chunks: Buffer[] = [];
  let pos = 0;
  while (pos < body.length) {
    assert.ok(body.length - pos >= 16, 'truncated frame');
    assert.equal(body[pos], 1, 'frame version 1');
    const type = body.readUInt32BE(pos) & 0xffffff;
    const len = body.readUInt32BE(pos + 4);
    const payload = body.subarray(pos + 12, pos + 12 + len);
    const crc = body.readUInt32BE(pos + 12 + len);
    if (checkCrc) assert.equal(crc, zlibCrc32(payload) >>> 0, 'payload CRC32');
    pos += 12 + len + 4;
    switch (type) {
      case 8388609:
        out.dataFrames++;
        chunks.push(payload.subarray(8));
        break;
      case 8388612:
        out.continuous++;
        assert.equal(len, 8);
        break;
      case 8388613:
        out.end = { offset: payload.readBigUInt64BE(0), scanned: payload.readBigUInt64BE(8), status: payload.readUInt32BE(16), error: payload.subarray(20).toString('utf8') };
        break;
      case 8388614:
      case 8388615:
        out.meta = {
          scanned: payload.readBigUInt64BE(8),
          status: payload.readUInt32BE(16),
          splits: payload.readUInt32BE(20),
          rows: payload.readBigUInt64BE(24),
          ...(type === 8388614 ? { columns: payload.readUInt32BE(32) } : {}),
          error: payload.subarray(type === 8388614 ? 36 : 32).toString('utf8'),
        };
        break;
      default:
        assert.fail(`unexpected frame type ${type}`);
    }
  }
  assert.equal(pos, body.length);
  out.data = Buffer.concat(chunks);
  return out;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export interface CsvOpts {
  header?: string;
  recordDelimiter?: string;
  fieldDelimiter?: string;
  range?: string;
  gzip?: boolean;
  raw?: boolean;
  crc?: boolean;
  keepAll?: boolean;
  outputHeader?: boolean;
  skipPartial?: boolean;
}

export function csvRequest(sql: string, o: CsvOpts = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<SelectRequest>
  <Expression>${b64(sql)}</Expression>
  <InputSerialization>
    <CompressionType>${o.gzip ? 'GZIP' : 'None'}</CompressionType>
    <CSV>
      <FileHeaderInfo>${o.header ?? 'None'}</FileHeaderInfo>
      <RecordDelimiter>${b64(o.recordDelimiter ?? '\n')}</RecordDelimiter>
      <FieldDelimiter>${b64(o.fieldDelimiter ?? ',')}</FieldDelimiter>
      <QuoteCharacter>${b64('"')}</QuoteCharacter>
      ${o.range ? `<Range>${o.range}</Range>` : ''}
    </CSV>
  </InputSerialization>
  <OutputSerialization>
    <CSV><RecordDelimiter>${b64('\n')}</RecordDelimiter><FieldDelimiter>${b64(',')}</FieldDelimiter></CSV>
    <KeepAllColumns>${o.keepAll ? 'true' : 'false'}</KeepAllColumns>
    <OutputRawData>${o.raw ? 'true' : 'false'}</OutputRawData>
    <EnablePayloadCrc>${o.crc ? 'true' : 'false'}</EnablePayloadCrc>
    <OutputHeader>${o.outputHeader ? 'true' : 'false'}</OutputHeader>
  </OutputSerialization>
  <Options><SkipPartialDataRecord>${o.skipPartial ? 'true' : 'false'}</SkipPartialDataRecord></Options>
</SelectRequest>`;
}

export function jsonRequest(sql: string, type: 'DOCUMENT' | 'LINES', extra = ''): string {
  return `<SelectRequest><Expression>${b64(sql)}</Expression><InputSerialization><CompressionType>None</CompressionType>` +
    `<JSON><Type>${type}</Type>${extra}</JSON></InputSerialization><OutputSerialization><JSON><RecordDelimiter>${b64('\n')}</RecordDelimiter></JSON></OutputSerialization></SelectRequest>`;
}
