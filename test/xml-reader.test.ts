// The request-body XML reader: what the official SDKs write (character references for quotes and control
// characters, whitespace before the declaration) is read as they meant it; DTDs and unknown entities are not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childBool, childElement, parseXml } from '../src/oss/xml-reader.js';
import { escapeXml, parseXmlBody } from '../src/oss/xml.js';
import { AppError } from '../src/errors.js';

const malformed = (body: string, root = 'Delete'): void => {
  assert.throws(() => parseXmlBody(body, root), (e: unknown) => e instanceof AppError && e.code === 'MalformedXML', body);
};

describe('XML reader', () => {
  it('decodes decimal and hex character references, control characters included, and the predefined entities', () => {
    const doc = parseXmlBody('<Delete><Object><Key>&#34;q&#39;&#x9;&#xA;&#xD;&#x0C;&#11;&#x1F;&amp;&lt;&gt;&quot;&apos;&#20320;&#x1F600;</Key></Object></Delete>', 'Delete');
    assert.deepEqual({ ...(doc.Object as object) }, { Key: '"q\'\t\n\r\f\v\x1f&<>"\'你😀' });
  });

  it('accepts whitespace (and a BOM) before the XML declaration, as the Go SDK tests send', () => {
    const doc = parseXmlBody('\uFEFF \n\t <?xml version="1.0" encoding="UTF-8"?>\n<Delete><Quiet>true</Quiet></Delete>', 'Delete');
    assert.equal(doc.Quiet, 'true');
  });

  it('keeps text untrimmed, repeats as arrays, reads CDATA, skips comments and attributes', () => {
    const doc = parseXmlBody('<?xml version="1.0"?><!-- c --><Delete xmlns="x"><Object><Key> a </Key></Object><!-- c --><Object><Key><![CDATA[<b&>]]></Key></Object><Object><Key/></Object></Delete>', 'Delete');
    assert.deepEqual((doc.Object as object[]).map((o) => ({ ...o })), [{ Key: ' a ' }, { Key: '<b&>' }, { Key: '' }]);
  });

  it('refuses DTDs, unknown entities, NUL and surrogate references, and broken structure', () => {
    malformed('<!DOCTYPE Delete [<!ENTITY e "zz">]><Delete><Object><Key>&e;</Key></Object></Delete>');
    malformed('<?xml version="1.0"?><!DOCTYPE Delete SYSTEM "file:///etc/passwd"><Delete/>');
    malformed('<Delete><Object><Key>&e;</Key></Object></Delete>');
    malformed('<Delete><Object><Key>&#0;</Key></Object></Delete>');
    malformed('<Delete><Object><Key>&#xD800;</Key></Object></Delete>');
    malformed('<Delete><Object><Key>a & b</Key></Object></Delete>');
    malformed('<Delete><Object><Key>a</Object></Key></Delete>');
    malformed('<Delete><Object>');
    malformed('<Delete/><Delete/>');
    malformed('<Delete/>trailing');
    malformed('<x/>', 'Delete');
    malformed('<Delete/><?xml version="1.0"?>');
  });

  it('gives element names no path to Object.prototype', () => {
    const { value } = parseXml('<a><__proto__><polluted>1</polluted></__proto__><constructor>c</constructor></a>');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(value as object), ['__proto__', 'constructor']);
  });

  it('escapes CR as a character reference on output (other controls stay raw), which the reader gives back', () => {
    const key = 'a\rb\fc\vd\x01e\tf\ng&<>';
    const escaped = escapeXml(key);
    assert.equal(escaped, 'a&#13;b\fc\vd\x01e\tf\ng&amp;&lt;&gt;');
    assert.deepEqual({ ...(parseXmlBody(`<Delete><Object><Key>${escaped}</Key></Object></Delete>`, 'Delete').Object as object) }, { Key: key });
  });

  it('a request that takes several roots (the select meta request) accepts each and refuses others', () => {
    const roots = ['CsvMetaRequest', 'JsonMetaRequest'];
    assert.deepEqual({ ...parseXmlBody('<JsonMetaRequest><OverwriteIfExists>true</OverwriteIfExists></JsonMetaRequest>', roots) }, { OverwriteIfExists: 'true' });
    assert.deepEqual({ ...parseXmlBody('<CsvMetaRequest/>', roots) }, {});
    assert.throws(() => parseXmlBody('<SelectRequest/>', roots), (e: unknown) => e instanceof AppError && e.code === 'MalformedXML' && e.detail.ErrorDetail === 'the root node is not named CsvMetaRequest or JsonMetaRequest.');
  });

  it('childBool loose takes any case and reads an empty element as absent; strict does not', () => {
    const doc = parseXmlBody('<R><A>True</A><B> FALSE </B><C></C><D>yes</D></R>', 'R');
    assert.equal(childBool(doc, 'A', 'InvalidArgument', undefined, true), true);
    assert.equal(childBool(doc, 'B', 'InvalidArgument', undefined, true), false);
    assert.equal(childBool(doc, 'C', 'InvalidArgument', undefined, true), undefined);
    assert.throws(() => childBool(doc, 'D', 'InvalidArgument', undefined, true), (e: unknown) => e instanceof AppError && e.code === 'InvalidArgument');
    assert.throws(() => childBool(doc, 'A', 'InvalidArgument'), (e: unknown) => e instanceof AppError && e.code === 'InvalidArgument');
    assert.throws(() => childBool(doc, 'C', 'MalformedXML'), (e: unknown) => e instanceof AppError && e.code === 'MalformedXML');
  });

  it('an element holding only whitespace is an empty element; text where elements belong is not', () => {
    const doc = parseXmlBody('<R><CSV>\n  </CSV><JSON>x</JSON></R>', 'R');
    assert.deepEqual({ ...childElement(doc, 'CSV') }, {});
    assert.throws(() => childElement(doc, 'JSON'), (e: unknown) => e instanceof AppError && e.code === 'MalformedXML');
  });
});
