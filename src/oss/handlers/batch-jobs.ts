import { AppError, invalidArgument } from '../../errors.js';
import { BATCH_LIMITS, parseStatuses, roleOfArn, type BatchJob, type JobOperation, type JobReport, type JobSpec } from '../../domain/batch-jobs.js';
import type { Handler, OssRequest } from '../context.js';
import { childBool, childElement, childElements, childInt, childTextOnce, INTEGER_TEXT, malformedXml, type XmlElement } from '../xml-reader.js';
import { el, type XmlChild } from '../xml.js';
import { xmlCarries } from '../../util/xml-chars.js';
import { readConfigXml, xmlResponse } from './common.js';

// OSS Batch Operations (`POST /?batchJob` CreateJob, `GET /?batchJob&batchJobId=` DescribeJob, `GET /?batchJob` ListJobs,
// `POST /?batchJobPriority` UpdateJobPriority, `POST /?batchJobStatus` UpdateJobStatus; service-level, not in the API
// metadata: routed by oss/operations.ts). The XML as the Go SDK v2 (oss/api_op_batch_operations.go) writes and reads
// it; the jobs and their rules in domain/batch-jobs.ts, the work in domain/batch-job-worker.ts.

const MAX_BODY = 64 * 1024;
const TOP_FIELDS = new Set(['ConfirmationRequired', 'Operation', 'Report', 'ClientRequestToken', 'Manifest', 'KeyPrefixManifestGenerator', 'Description', 'Priority', 'RoleArn']);
const OPERATIONS = ['PutObjectTagging', 'DeleteObjectTagging', 'AddObjectTagging', 'PutObjectAcl', 'RestoreObject'] as const;

/** Text a later answer writes back: XML 1.0 must carry it (the SDKs' strict readers refuse the rest). */
function carried(v: string | undefined, name: string, max = 1024): string | undefined {
  if (v === undefined) return undefined;
  if (!xmlCarries(v)) throw invalidArgument(`${name} must not hold control characters.`, name, v.slice(0, 64));
  if ([...v].length > max) throw invalidArgument(`${name} is too long.`, name);
  return v;
}

function tagsOf(node: XmlElement, where: string): Array<[string, string]> {
  const set = childElement(node, 'TagSet');
  if (set === undefined) throw malformedXml(`${where}.TagSet is required.`);
  return childElements(set, 'Tag', 50).map((t) => {
    const k = childTextOnce(t, 'Key');
    if (k === undefined) throw malformedXml(`${where}: each Tag must have a Key.`);
    return [k, childTextOnce(t, 'Value') ?? ''];
  });
}

function operationOf(doc: XmlElement): JobOperation {
  const node = childElement(doc, 'Operation');
  if (node === undefined) throw malformedXml('Operation is required.');
  const given = Object.keys(node);
  for (const name of given) if (!(OPERATIONS as readonly string[]).includes(name)) throw malformedXml(`Operation.${name} is not an operation.`);
  if (given.length !== 1) throw invalidArgument('Operation must name exactly one operation.', 'Operation');
  const name = given[0] as (typeof OPERATIONS)[number];
  const body = name === 'DeleteObjectTagging' ? undefined : childElement(node, name);
  switch (name) {
    case 'PutObjectTagging': return { kind: name, tags: tagsOf(body!, 'Operation.PutObjectTagging') };
    case 'AddObjectTagging': return { kind: name, tags: tagsOf(body!, 'Operation.AddObjectTagging') };
    case 'DeleteObjectTagging': return { kind: name };
    case 'PutObjectAcl': {
      const acl = childTextOnce(body!, 'ObjectAcl', 64);
      if (acl === undefined) throw malformedXml('Operation.PutObjectAcl.ObjectAcl is required.');
      return { kind: name, acl };
    }
    case 'RestoreObject': {
      const days = childInt(body!, 'Days', INTEGER_TEXT, (t) => invalidArgument('Days must be an integer.', 'Operation.RestoreObject.Days', t), 32);
      const tier = childTextOnce(body!, 'Tier', 64);
      return { kind: name, ...(days !== undefined ? { days } : {}), ...(tier !== undefined ? { tier } : {}) };
    }
  }
}

function reportOf(doc: XmlElement): JobReport | null {
  const node = childElement(doc, 'Report');
  if (node === undefined) return null;
  const scope = childTextOnce(node, 'ReportScope', 64);
  if (scope !== undefined && scope !== 'AllTasks' && scope !== 'FailedTasksOnly') throw invalidArgument('ReportScope must be AllTasks or FailedTasksOnly.', 'Report.ReportScope', scope);
  return {
    enabled: childBool(node, 'Enabled', 'InvalidArgument', 16) ?? false,
    bucket: carried(childTextOnce(node, 'Bucket'), 'Report.Bucket') ?? '',
    prefix: carried(childTextOnce(node, 'Prefix'), 'Report.Prefix') ?? '',
    scope: scope ?? 'AllTasks',
    scopeGiven: scope !== undefined,
  };
}

/** The CreateJobRequest document as a job's spec (its rules are checked by the service). */
export function jobSpecOf(doc: XmlElement): JobSpec {
  for (const name of Object.keys(doc)) if (!TOP_FIELDS.has(name)) throw malformedXml(`CreateJobRequest.${name} is not a job field.`);
  const manifestNode = childElement(doc, 'Manifest');
  let manifest: JobSpec['manifest'] = null;
  if (manifestNode !== undefined) {
    const loc = childElement(manifestNode, 'Location') ?? ({} as XmlElement);
    const spec = childElement(manifestNode, 'Spec') ?? ({} as XmlElement);
    const versionId = carried(childTextOnce(loc, 'VersionId'), 'Manifest.Location.VersionId');
    manifest = {
      bucket: carried(childTextOnce(loc, 'Bucket'), 'Manifest.Location.Bucket') ?? '',
      object: carried(childTextOnce(loc, 'Object'), 'Manifest.Location.Object') ?? '',
      etag: carried(childTextOnce(loc, 'ETag'), 'Manifest.Location.ETag') ?? '',
      ...(versionId !== undefined && versionId !== '' ? { versionId } : {}),
      fields: carried(childTextOnce(spec, 'Fields'), 'Manifest.Spec.Fields') ?? 'Bucket,Key',
      format: carried(childTextOnce(spec, 'Format'), 'Manifest.Spec.Format') ?? '',
    };
  }
  const kpNode = childElement(doc, 'KeyPrefixManifestGenerator');
  const keyPrefix = kpNode === undefined ? null : {
    sourceBucket: carried(childTextOnce(kpNode, 'SourceBucket'), 'KeyPrefixManifestGenerator.SourceBucket') ?? '',
    prefix: carried(childTextOnce(kpNode, 'Prefix'), 'KeyPrefixManifestGenerator.Prefix') ?? '',
  };
  const roleArn = childTextOnce(doc, 'RoleArn', 1024);
  if (roleArn === undefined) throw malformedXml('RoleArn is required.');
  return {
    confirmationRequired: childBool(doc, 'ConfirmationRequired', 'InvalidArgument', 16) ?? false,
    operation: operationOf(doc),
    report: reportOf(doc),
    clientRequestToken: carried(childTextOnce(doc, 'ClientRequestToken'), 'ClientRequestToken', BATCH_LIMITS.tokenChars) ?? '',
    manifest,
    keyPrefix,
    description: carried(childTextOnce(doc, 'Description'), 'Description', BATCH_LIMITS.descriptionChars) ?? '',
    priority: childInt(doc, 'Priority', INTEGER_TEXT, (t) => invalidArgument('Priority must be an integer.', 'Priority', t), 32) ?? 0,
    roleArn,
  };
}

// ---- answers ----

const seconds = (ms: number): number => Math.floor(ms / 1000);

function operationXml(op: JobOperation): XmlChild {
  const tags = (tagsList: Array<[string, string]>): XmlChild => el('TagSet', tagsList.map(([k, v]) => el('Tag', [el('Key', k), el('Value', v)])));
  switch (op.kind) {
    case 'PutObjectTagging': return el('Operation', [el('PutObjectTagging', [tags(op.tags)])]);
    case 'AddObjectTagging': return el('Operation', [el('AddObjectTagging', [tags(op.tags)])]);
    case 'DeleteObjectTagging': return el('Operation', [el('DeleteObjectTagging', '')]);
    case 'PutObjectAcl': return el('Operation', [el('PutObjectAcl', [el('ObjectAcl', op.acl)])]);
    case 'RestoreObject': return el('Operation', [el('RestoreObject', [op.days !== undefined && el('Days', op.days), op.tier !== undefined && el('Tier', op.tier)])]);
  }
}

function progressXml(job: BatchJob, now: number): XmlChild {
  const active = job.activeMs + (job.activeSince !== undefined ? Math.max(0, now - job.activeSince) : 0);
  return el('ProgressSummary', [
    el('NumberOfTasksFailed', job.failed),
    el('NumberOfTasksSucceeded', job.succeeded),
    el('Timers', [el('ElapsedTimeInActiveSeconds', seconds(active))]),
    el('TotalNumberOfTasks', job.total),
  ]);
}

function jobXml(job: BatchJob, now: number): XmlChild {
  const { spec } = job;
  const r = spec.report;
  const m = spec.manifest;
  return el('Job', [
    el('ConfirmationRequired', spec.confirmationRequired),
    el('CreationTime', seconds(job.created)),
    el('JobId', job.id),
    operationXml(spec.operation),
    r !== null && el('Report', [el('Bucket', r.bucket), el('Enabled', r.enabled), el('Prefix', r.prefix), r.scopeGiven && el('ReportScope', r.scope)]),
    m !== null && el('Manifest', [
      el('Location', [el('ETag', m.etag), el('Bucket', m.bucket), el('Object', m.object), m.versionId !== undefined && el('VersionId', m.versionId)]),
      el('Spec', [el('Fields', m.fields), el('Format', m.format)]),
    ]),
    el('Description', spec.description),
    el('Priority', spec.priority),
    el('RoleArn', spec.roleArn),
    el('StatusUpdateReason', job.statusUpdateReason),
    progressXml(job, now),
    spec.keyPrefix !== null && el('KeyPrefixManifestGenerator', [el('SourceBucket', spec.keyPrefix.sourceBucket), el('Prefix', spec.keyPrefix.prefix)]),
    // Returned even when the job did not fail (OSS's DescribeJob page), empty then.
    el('FailureReasons', job.failure === undefined ? [] : [el('JobFailure', [el('FailureCode', job.failure.code), el('FailureReason', job.failure.reason)])]),
    el('Status', job.status),
    job.terminated !== undefined && el('TerminationDate', seconds(job.terminated)),
  ]);
}

const jobs = (req: OssRequest): NonNullable<OssRequest['services']['batchJobs']> => {
  const s = req.services.batchJobs;
  if (s === undefined) throw new AppError('NotImplemented', 'Batch Operations are not enabled on this server.');
  return s;
};

/** A required query parameter (the SDK sends each; an empty one is as good as none). */
function param(req: OssRequest, name: string): string {
  const v = req.query.get(name);
  if (v === undefined || v === '') throw invalidArgument(`The ${name} parameter is required.`, name);
  return v;
}

function intParam(req: OssRequest, name: string): number {
  const raw = param(req, name);
  if (!/^-?\d{1,15}$/.test(raw)) throw invalidArgument(`${name} must be an integer.`, name, raw);
  return Number(raw);
}

export const createJob: Handler = async (req) => {
  const doc = await readConfigXml(req, 'CreateJobRequest', MAX_BODY);
  const spec = jobSpecOf(doc as XmlElement);
  // The job will act as its role: the caller must be allowed to hand it over (ram:PassRole on the role's ARN), or
  // anyone allowed oss:CreateJob could act with any role of the account. An ARN that names no role is left for
  // create() to refuse.
  if (roleOfArn(spec.roleArn) !== null) await req.authorize([{ action: 'ram:PassRole', bucket: null, key: null, acl: 'none', passRole: spec.roleArn }]);
  const id = await jobs(req).create(req.accountId, spec);
  return xmlResponse(el('CreateJobResult', [el('JobId', id)]));
};

/** `GET /?batchJob`: DescribeJob with a batchJobId, ListJobs without. */
export const describeJob: Handler = async (req) => {
  const job = await jobs(req).describe(req.accountId, param(req, 'batchJobId'));
  return xmlResponse(el('DescribeJobResult', [jobXml(job, jobs(req).now())]));
};

export const listJobs: Handler = async (req) => {
  const rawMax = req.query.get('max-keys');
  let maxKeys: number = BATCH_LIMITS.defaultListKeys;
  if (rawMax !== undefined && rawMax !== '') {
    if (!/^\d{1,5}$/.test(rawMax) || Number(rawMax) < 1 || Number(rawMax) > BATCH_LIMITS.maxListKeys) throw invalidArgument('max-keys must be 1 to 1000.', 'max-keys', rawMax);
    maxKeys = Number(rawMax);
  }
  const token = req.query.get('continuation-token') ?? '';
  if (token.length > BATCH_LIMITS.tokenMaxChars) throw invalidArgument('continuation-token is at most 1024 characters.', 'continuation-token');
  const rawStatuses = req.query.get('batchJobStatuses');
  const statuses = rawStatuses === undefined || rawStatuses === '' ? null : parseStatuses(rawStatuses);
  const { jobs: list, next } = await jobs(req).list(req.accountId, { statuses, maxKeys, after: token });
  const now = jobs(req).now();
  return xmlResponse(el('ListJobsResult', [
    el('Jobs', list.map((job) => el('JobListDescriptor', [
      el('CreationTime', seconds(job.created)),
      el('Description', job.spec.description),
      el('JobId', job.id),
      el('Operation', job.spec.operation.kind),
      el('Priority', job.spec.priority),
      el('Status', job.status),
      progressXml(job, now),
      job.terminated !== undefined && el('TerminationDate', seconds(job.terminated)),
    ]))),
    next !== null && el('NextToken', next),
  ]));
};

export const updateJobPriority: Handler = async (req) => {
  const job = await jobs(req).updatePriority(req.accountId, param(req, 'batchJobId'), intParam(req, 'targetPriority'));
  return xmlResponse(el('UpdateJobPriorityResult', [el('JobId', job.id), el('Priority', job.spec.priority)]));
};

export const updateJobStatus: Handler = async (req) => {
  const reason = req.query.get('statusUpdateReason');
  const job = await jobs(req).updateStatus(req.accountId, param(req, 'batchJobId'), param(req, 'requestedJobStatus'), carried(reason, 'statusUpdateReason', BATCH_LIMITS.reasonChars));
  return xmlResponse(el('UpdateJobStatusResult', [el('JobId', job.id), el('Status', job.status), el('StatusUpdateReason', job.statusUpdateReason)]));
};
