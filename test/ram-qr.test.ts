// QRCodePNG of CreateVirtualMFADevice (src/ram/qr.ts): symbols of every version 1-10 (level M, byte mode) read
// back by an independent decoder (test/helpers/qr-decode.ts: PNG pixels through sharp, format information,
// Reed-Solomon syndromes), and the device's PNG, through pop-core, carries the otpauth:// URI with its seed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeQr, qrCodePng, qrPng, reedSolomon } from '../src/ram/qr.js';
import { decodeQrGrid, gridFromPng } from './helpers/qr-decode.js';
import { Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

describe('QR code encoder', () => {
  it('Reed-Solomon: the ISO 18004 example (version 1-M, "01234567")', () => {
    // Annex I: data codewords of "01234567" at 1-M and their 10 EC codewords.
    const data = Uint8Array.from([0x10, 0x20, 0x0c, 0x56, 0x61, 0x80, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11]);
    assert.deepEqual([...reedSolomon(data, 10)], [0xa5, 0x24, 0xd4, 0xc1, 0xed, 0x36, 0xc7, 0x87, 0x2c, 0x55]);
  });

  it('every version 1-10 round-trips through PNG and an independent decoder', async () => {
    const seen = new Set<number>();
    for (const length of [1, 14, 20, 26, 40, 60, 80, 100, 120, 150, 170, 200, 213]) {
      const text = Array.from({ length }, (_, i) => 'otpauth://totp/ABCxyz0123456789-._~?&='[i % 40]).join('');
      const modules = encodeQr(Buffer.from(text));
      const png = qrPng(modules, 3, 4);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const decoded = decodeQrGrid(await gridFromPng(png));
      assert.equal(decoded.text, text);
      assert.equal(modules.length, decoded.version * 4 + 17);
      seen.add(decoded.version);
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.throws(() => encodeQr(Buffer.alloc(214, 0x41)), RangeError);
  });

  it('a corrupted module is caught by the decoder (the check can fail)', async () => {
    const modules = encodeQr(Buffer.from('otpauth://totp/x@y?secret=ABC'));
    // A data module in the bottom-right corner (the first codeword), flipped.
    const n = modules.length;
    modules[n - 1]![n - 1] = !modules[n - 1]![n - 1];
    await assert.rejects(async () => decodeQrGrid(await gridFromPng(qrPng(modules))), /syndrome/);
  });
});

describe('CreateVirtualMFADevice QRCodePNG', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv?.stop();
  });

  it('is a Base64 PNG of otpauth://totp/<device>@<alias>?secret=<Base32StringSeed>', async () => {
    const ram = new Ram(srv);
    const d = (await ram.call('CreateVirtualMFADevice', { VirtualMFADeviceName: 'phone-qr' })).VirtualMFADevice;
    const png = Buffer.from(d.QRCodePNG as string, 'base64');
    const { text } = decodeQrGrid(await gridFromPng(png));
    assert.equal(text, `otpauth://totp/phone-qr@${ACCOUNT_ID}?secret=${d.Base32StringSeed as string}`);
    await ram.call('SetAccountAlias', { AccountAlias: 'my-company' });
    const long = 'd'.repeat(64);
    const e = (await ram.call('CreateVirtualMFADevice', { VirtualMFADeviceName: long })).VirtualMFADevice;
    assert.equal(decodeQrGrid(await gridFromPng(Buffer.from(e.QRCodePNG as string, 'base64'))).text, `otpauth://totp/${long}@my-company?secret=${e.Base32StringSeed as string}`);
    assert.ok(qrCodePng('x').length > 0);
  });
});
