import { PopClient, PopError } from '../client/pop.js';
import type { Issued } from './cache.js';
import type { VendConfig } from './config.js';
import { VendError } from './errors.js';

// AssumeRole over POP RPC with the vending RAM user's AccessKey, against any STS endpoint (Alunite's or
// the cloud's). Upstream failures become 502 answers; the upstream code stays in the message, the
// AccessKey never does.

export class StsIssuer {
  private readonly client: PopClient;

  constructor(private readonly cfg: VendConfig['sts']) {
    this.client = new PopClient({ endpoint: cfg.endpoint, apiVersion: '2015-04-01', accessKeyId: cfg.accessKeyId, accessKeySecret: cfg.accessKeySecret });
  }

  async assumeRole(sessionName: string, policy: string): Promise<Issued> {
    let body: { Credentials?: Record<string, unknown> };
    try {
      body = await this.client.request('AssumeRole', {
        RoleArn: this.cfg.roleArn,
        RoleSessionName: sessionName,
        Policy: policy,
        DurationSeconds: this.cfg.durationSeconds,
      });
    } catch (err) {
      throw upstream(err, this.cfg.accessKeyId);
    }
    const c = body.Credentials ?? {};
    const str = (k: string): string => (typeof c[k] === 'string' ? (c[k] as string) : '');
    const issued: Issued = { accessKeyId: str('AccessKeyId'), accessKeySecret: str('AccessKeySecret'), securityToken: str('SecurityToken'), expiration: str('Expiration') };
    if (!issued.accessKeyId || !issued.accessKeySecret || !issued.securityToken || !Number.isFinite(Date.parse(issued.expiration))) {
      throw new VendError('StsError', 'STS AssumeRole answered without complete Credentials.');
    }
    return issued;
  }

  /**
   * Refuses to run with the account's own AccessKey (GetCallerIdentity says `Account`): the vending
   * service should hold a RAM user's key that can do nothing but sts:AssumeRole.
   */
  async checkNotRoot(): Promise<{ identityType: string; arn: string }> {
    let body: { IdentityType?: string; Arn?: string };
    try {
      body = await this.client.request('GetCallerIdentity');
    } catch (err) {
      const e = upstream(err, this.cfg.accessKeyId, 'GetCallerIdentity');
      // At start-up nothing answering is about the endpoint setting (`alunite vend` has no --endpoint flag), and
      // a refusal is about the vending key itself (unknown id, wrong secret, disabled key).
      if (e.code === 'StsUnavailable') {
        throw new VendError(e.code, `${e.message}; check the STS endpoint: sts.endpoint / ALUNITE_ENDPOINT (${this.cfg.endpoint}), where the Alunite server (or the cloud's STS) must listen`);
      }
      if (e.code !== 'StsError') throw e;
      throw new VendError(e.code, `${e.message}; check the vending AccessKey: sts.accessKeyId / ALUNITE_VEND_ACCESS_KEY_ID and sts.accessKeySecret / ALUNITE_VEND_ACCESS_KEY_SECRET`);
    }
    const identityType = body.IdentityType ?? '';
    if (identityType === 'Account') {
      throw new Error(`sts.accessKeyId is an AccessKey of the account itself (${body.Arn ?? 'root'}); give the vending service a RAM user's AccessKey that only allows sts:AssumeRole on ${this.cfg.roleArn}`);
    }
    return { identityType, arn: body.Arn ?? '' };
  }
}

/** The upstream answer for the app's client: code, status, RequestId and message, minus what is ours. */
function upstream(err: unknown, accessKeyId: string, action = 'AssumeRole'): VendError {
  if (err instanceof PopError) {
    if (err.code === 'NetworkError') return new VendError('StsUnavailable', `STS is unreachable: ${err.message}`);
    const rid = err.requestId ? `, RequestId ${err.requestId}` : '';
    // SignatureDoesNotMatch echoes the string to sign (our AccessKeyId, the session policy): not for app users.
    const message = err.message.replace(/\s*server string to sign is:[\s\S]*$/, '').replaceAll(accessKeyId, '<vending AccessKeyId>').slice(0, 300);
    return new VendError('StsError', `STS refused ${action}: ${err.code} (HTTP ${err.status}${rid}): ${message}`);
  }
  return new VendError('StsError', `STS ${action} failed: ${err instanceof Error ? err.message : String(err)}`);
}
