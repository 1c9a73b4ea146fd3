import { AppError, invalidArgument } from '../errors.js';
import { CONTROL_OR_NOT_XML } from '../util/xml-chars.js';
import { deleteConfig, jsonConfig, putConfig, readConfig } from './bucket-config.js';
import { isIncarnation, type BucketIncarnation } from '../store/meta/types.js';
import { requireBucket, type DomainContext } from './context.js';
import type { Bucket } from './model.js';
import { isValidBucketName } from './names.js';

// Bucket access logging (Put/Get/DeleteBucketLogging; docs/logging.md): where a bucket's access log goes.
// The records themselves are written by audit/access-log.ts.

export interface LoggingConfig {
  targetBucket: string;
  targetPrefix: string;
  /**
   * The RAM role OSS would assume to write the logs (`LoggingRole`, e.g. AliyunOSSLoggingDefaultRole): kept and
   * answered; Alunite writes them as before, on the configuring caller's checked behalf (docs/logging.md). `''`:
   * an empty `LoggingRole` was put (no role), answered empty; absent: none was put, none answered.
   */
  loggingRole?: string;
  /**
   * The SDK v2s' newer `PushSuccessMarker` and `TargetSuffix.UseRandomPart` switches: kept and answered as put. What
   * OSS does with them (a marker object per delivered log, a random part in log names) is not published; Alunite's
   * log objects are named and written as before (docs/logging.md) [UNVERIFIED].
   */
  pushSuccessMarker?: boolean;
  useRandomPart?: boolean;
}

export const LOGGING = jsonConfig<LoggingConfig>('logging');

export const LOGGING_LIMITS = {
  maxBodyBytes: 16 * 1024,
  /** OSS: TargetPrefix at most 256 characters (EC 0032-00000006). */
  maxPrefixLength: 256,
} as const;

export function loggingOf(bucket: Bucket): LoggingConfig | null {
  return readConfig(bucket, LOGGING);
}

/** The prefix rules OSS documents: at most 256 characters, not starting with `/` or `\`, no control characters. */
export function validatePrefix(prefix: string): void {
  if (prefix.length > LOGGING_LIMITS.maxPrefixLength) {
    throw new AppError('InvalidArgument', `TargetPrefix must be at most ${LOGGING_LIMITS.maxPrefixLength} characters.`, { ArgumentName: 'TargetPrefix', ArgumentValue: prefix.slice(0, 64) }, '0032-00000006');
  }
  if (prefix.startsWith('/') || prefix.startsWith('\\')) {
    throw new AppError('InvalidArgument', 'TargetPrefix must not start with "/" or "\\".', { ArgumentName: 'TargetPrefix', ArgumentValue: prefix }, '0032-00000005');
  }
  if (CONTROL_OR_NOT_XML.test(prefix)) throw invalidArgument('TargetPrefix must not contain control characters.', 'TargetPrefix');
}

/** A RAM role name as RAM takes one (1–64 letters, digits, `.`, `-`; ram-sts-semantics.md). */
export function validateLoggingRole(role: string): void {
  if (!/^[A-Za-z0-9.-]{1,64}$/.test(role)) throw invalidArgument('LoggingRole must be a RAM role name (1-64 letters, digits, "." or "-").', 'LoggingRole', role.slice(0, 64));
}

/** Put/Get/DeleteBucketLogging. */
export class LoggingService {
  constructor(private readonly ctx: DomainContext) {}

  /**
   * The target must exist and belong to the source bucket's owner (OSS: same account, same region). `mayWrite`
   * then decides whether the caller may have log objects written there (checked before anything is stored).
   * `sameBucket`: the bucket the request was authorized on, captured before its body (ConfigWriteOptions).
   */
  async put(bucket: string, config: LoggingConfig, mayWrite: () => Promise<void> = async () => {}, sameBucket?: BucketIncarnation): Promise<void> {
    const source = await requireBucket(this.ctx, bucket);
    // Another bucket of the name than the one authorized on: none, before its owner is compared with the target's.
    if (!isIncarnation(source, sameBucket)) throw new AppError('NoSuchBucket', undefined, { BucketName: bucket });
    validatePrefix(config.targetPrefix);
    if (config.loggingRole !== undefined && config.loggingRole !== '') validateLoggingRole(config.loggingRole);
    // EC 0032-00000004: not a bucket name; 0032-00000008 (the catalogue's): no such bucket of this owner.
    const refuse = (ec?: string): never => {
      throw new AppError('InvalidTargetBucketForLogging', undefined, { BucketName: bucket, TargetBucket: config.targetBucket.slice(0, 64) }, ec);
    };
    if (!isValidBucketName(config.targetBucket)) refuse('0032-00000004');
    const target = await this.ctx.meta.getBucket(config.targetBucket);
    if (!target || target.ownerAccountId !== source.ownerAccountId || target.region !== source.region) refuse();
    await mayWrite();
    await putConfig(this.ctx, bucket, LOGGING, config, { sameBucket });
  }

  async get(bucket: string): Promise<LoggingConfig | null> {
    return loggingOf(await requireBucket(this.ctx, bucket));
  }

  async delete(bucket: string): Promise<void> {
    await deleteConfig(this.ctx, bucket, LOGGING);
  }
}
