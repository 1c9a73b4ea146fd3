// A bucket sub-resource request signed by ali-oss itself, with a body of our choosing (for configurations
// ali-oss has no call for, and for bodies it would never build).
import type OSS from 'ali-oss';

interface BucketRequestClient {
  _bucketRequestParams(method: string, bucket: string, subres: string | Record<string, string>, options?: object): { content?: Buffer; mime?: string; successStatuses?: number[]; xmlResponse?: boolean; headers?: Record<string, string> };
  request(params: object): Promise<{ data: unknown; res: { status: number } }>;
}

/** `method /<bucket>?<subres>` with `xml` as the body; GET answers are parsed as XML. */
export function bucketXml(client: OSS, method: string, bucket: string, subres: string | Record<string, string>, xml?: string, successStatuses = [200]): Promise<{ data: unknown; res: { status: number } }> {
  const raw = client as unknown as BucketRequestClient;
  const params = raw._bucketRequestParams(method, bucket, subres, {});
  if (xml !== undefined) {
    params.content = Buffer.from(xml);
    params.mime = 'xml';
  }
  params.successStatuses = successStatuses;
  if (method === 'GET') params.xmlResponse = true;
  return raw.request(params);
}
