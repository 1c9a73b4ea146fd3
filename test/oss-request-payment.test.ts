// Pay-by-requester (docs/access-rules.md): Put/GetBucketRequestPayment through ali-oss, and the rule on
// the request path: the bucket owner's account is unaffected, other accounts must send
// `x-oss-request-payer: requester` (a header, or a query parameter of a signed URL), anonymous requests are
// refused. Another account's bucket is seeded through the store (the server runs one account). Runs on
// SQLite, and on PostgreSQL through test/pg-access-rules.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OSS from 'ali-oss';
import { bucketXml } from './helpers/bucket-xml.js';
import { expectOssError } from './helpers/oss.js';
import { errorOf, rawRequest, type RawResponse } from './helpers/raw-http.js';
import { MSG, policyDoc, Ram } from './helpers/ram.js';
import { ACCOUNT_ID, startTestServer, type TestServer } from './helpers/server.js';

const OWN = 'rp-own';
const FOREIGN = 'rp-foreign';
const FOREIGN_OWNER = '9000000000000001';
const REFUSED = 'Access denied for requester pay bucket';

interface PaymentCalls {
  putBucketRequestPayment(name: string, payer: string): Promise<{ status: number }>;
  getBucketRequestPayment(name: string): Promise<{ payer: string }>;
}
const pay = (c: OSS): PaymentCalls => c as unknown as PaymentCalls;
const paymentXml = (inner: string): string => `<?xml version="1.0" encoding="UTF-8"?><RequestPaymentConfiguration>${inner}</RequestPaymentConfiguration>`;

describe('pay-by-requester', () => {
  let srv: TestServer;
  let own: OSS;
  let foreign: OSS;

  const anonymousGet = (bucket: string, key: string): Promise<RawResponse> =>
    rawRequest(srv.port, { method: 'GET', path: `/${bucket}/${key}`, headers: { host: `127.0.0.1:${srv.port}` } });
  const urlGet = (url: string): Promise<RawResponse> => {
    const u = new URL(url);
    return rawRequest(srv.port, { method: 'GET', path: `${u.pathname}${u.search}`, headers: { host: u.host } });
  };
  const refused = (res: RawResponse, ec: string): void => {
    assert.equal(res.status, 403, res.body.toString('utf8'));
    assert.equal(errorOf(res)?.Message, REFUSED);
    assert.equal(errorOf(res)?.EC, ec);
  };

  before(async () => {
    srv = await startTestServer();
    own = srv.client({ bucket: OWN });
    foreign = srv.client({ bucket: FOREIGN });
    await own.putBucket(OWN);
    await own.putBucketACL(OWN, 'public-read');
    await own.put('data.csv', Buffer.from('a,b'));
    // Another account's bucket that grants this account everything through its bucket policy.
    await srv.meta.createBucket({
      name: FOREIGN, ownerAccountId: FOREIGN_OWNER, createdAt: Date.now(), region: 'cn-hangzhou', acl: 'private',
      storageClass: 'Standard', redundancyType: 'LRS', cors: null, configs: {},
      policy: policyDoc({ Effect: 'Allow', Action: ['oss:*'], Principal: [ACCOUNT_ID], Resource: [`acs:oss:*:${FOREIGN_OWNER}:${FOREIGN}`, `acs:oss:*:${FOREIGN_OWNER}:${FOREIGN}/*`] }),
    });
  });
  after(async () => {
    await srv?.stop();
  });

  test('BucketOwner by default; PutBucketRequestPayment (ali-oss) sets Requester', async () => {
    assert.equal((await pay(own).getBucketRequestPayment(OWN)).payer, 'BucketOwner');
    assert.equal((await pay(own).putBucketRequestPayment(OWN, 'Requester')).status, 200);
    assert.equal((await pay(own).getBucketRequestPayment(OWN)).payer, 'Requester');
  });

  test("the owner's account is unaffected; anonymous requests are refused", async () => {
    assert.equal((await own.get('data.csv')).content.toString(), 'a,b');
    await own.put('by-owner.txt', Buffer.from('x'));
    // A RAM user of the owner account: the account pays, no header needed.
    const ram = new Ram(srv);
    const reader = await ram.userWith('rp-reader', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['*'] }));
    assert.equal((await reader.oss(OWN).get('data.csv')).content.toString(), 'a,b');
    // The bucket is public-read, but requesters must be known to be charged.
    refused(await anonymousGet(OWN, 'data.csv'), '0003-00000701');
    // The owner's signed URL is the owner's request.
    const url = srv.pathClient({ bucket: OWN }).signatureUrl('data.csv', { expires: 600 });
    assert.equal((await urlGet(url)).status, 200);
    // Back to BucketOwner: anonymous reads work again.
    await pay(own).putBucketRequestPayment(OWN, 'BucketOwner');
    assert.equal((await anonymousGet(OWN, 'data.csv')).status, 200);
  });

  test('another account must accept the charges: header, or query parameter of a signed URL', async () => {
    // Before the bucket asks requesters to pay, this account's access needs nothing extra.
    await foreign.put('shared.txt', Buffer.from('shared'));
    await srv.meta.updateBucketConfig(FOREIGN, 'request-payment', () => JSON.stringify({ payer: 'Requester' }));

    let err = await expectOssError(foreign.get('shared.txt'), 'AccessDenied', 403);
    assert.equal(err.message, REFUSED);
    assert.equal(err.ecCode, '0003-00000703');
    await expectOssError(foreign.put('new.txt', Buffer.from('x')), 'AccessDenied', 403);
    err = await expectOssError(foreign.get('shared.txt', { headers: { 'x-oss-request-payer': 'bucketowner' } }), 'AccessDenied', 403);
    assert.equal(err.message, REFUSED);

    const charged = { headers: { 'x-oss-request-payer': 'requester' } };
    assert.equal((await foreign.get('shared.txt', charged)).content.toString(), 'shared');
    await foreign.put('new.txt', Buffer.from('x'), charged);
    assert.equal((await foreign.head('new.txt', charged)).status, 200);
    // Configuration reads are requests on the bucket too.
    await expectOssError(pay(foreign).getBucketRequestPayment(FOREIGN), 'AccessDenied', 403);

    const signer = srv.pathClient({ bucket: FOREIGN });
    refused(await urlGet(signer.signatureUrl('shared.txt', { expires: 600 })), '0003-00000702');
    const accepted = signer.signatureUrl('shared.txt', { expires: 600, subResource: { 'x-oss-request-payer': 'requester' } } as OSS.SignatureUrlOptions);
    assert.ok(accepted.includes('x-oss-request-payer=requester'), accepted);
    assert.equal((await urlGet(accepted)).status, 200);
  });

  test('bad XML is refused and stores nothing', async () => {
    await pay(own).putBucketRequestPayment(OWN, 'Requester');
    await expectOssError(bucketXml(own, 'PUT', OWN, 'requestPayment', '<RequestPaymentConfiguration><Payer>BucketOwner</Payer>'), 'MalformedXML', 400);
    await expectOssError(bucketXml(own, 'PUT', OWN, 'requestPayment', paymentXml('')), 'MalformedXML', 400);
    await expectOssError(bucketXml(own, 'PUT', OWN, 'requestPayment', paymentXml('<Payer><x/></Payer>')), 'MalformedXML', 400);
    await expectOssError(bucketXml(own, 'PUT', OWN, 'requestPayment', '<Other><Payer>BucketOwner</Payer></Other>'), 'MalformedXML', 400);
    const err = await expectOssError(bucketXml(own, 'PUT', OWN, 'requestPayment', paymentXml('<Payer>Nobody</Payer>')), 'InvalidArgument', 400);
    assert.match(err.message, /BucketOwner or Requester/);
    assert.equal((await pay(own).getBucketRequestPayment(OWN)).payer, 'Requester');
    await pay(own).putBucketRequestPayment(OWN, 'BucketOwner');
  });

  test('Put/GetBucketRequestPayment are authorized as their actions (explicit Deny wins)', async () => {
    const ram = new Ram(srv);
    const user = await ram.userWith('rp-denied', policyDoc(
      { Effect: 'Allow', Action: ['oss:*'], Resource: ['*'] },
      { Effect: 'Deny', Action: ['oss:PutBucketRequestPayment'], Resource: [`acs:oss:*:*:${OWN}`] },
    ));
    const err = await expectOssError(pay(user.oss(OWN)).putBucketRequestPayment(OWN, 'Requester'), 'AccessDenied', 403);
    assert.equal(err.message, MSG.policyDeny);
    assert.equal((await pay(user.oss(OWN)).getBucketRequestPayment(OWN)).payer, 'BucketOwner');
    const reader = await ram.userWith('rp-objects-only', policyDoc({ Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['*'] }));
    await expectOssError(pay(reader.oss(OWN)).getBucketRequestPayment(OWN), 'AccessDenied', 403);
  });
});
