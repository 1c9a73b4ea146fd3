// The one error catalogue: every error the server can answer with, by code, with its HTTP status,
// default message and OSS error-class code (EC). Domain code throws AppError values carrying a code
// from here; only the serializers turn them into wire responses.

interface CatalogueEntry {
  readonly status: number;
  readonly message: string;
  readonly ec?: string;
}

export const catalogue = {
  AccessDenied: { status: 403, message: 'AccessDenied', ec: '0003-00000001' },
  InvalidAccessKeyId: { status: 403, message: 'The OSS Access Key Id you provided does not exist in our records.', ec: '0002-00000002' },
  SignatureDoesNotMatch: { status: 403, message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', ec: '0002-00000040' },
  InvalidSecurityToken: { status: 403, message: 'The security token you provided is invalid.', ec: '0002-00000012' },
  SecurityTokenExpired: { status: 403, message: 'The security token you provided has expired.', ec: '0002-00000013' },
  AccessKeyIdAndSecurityTokenNotMatch: { status: 403, message: 'The OSS access key id and security token you provided does not match.', ec: '0002-00000014' },
  RequestTimeTooSkewed: { status: 403, message: 'The difference between the request time and the current time is too large.', ec: '0002-00000504' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist.', ec: '0015-00000101' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.', ec: '0026-00000001' },
  NoSuchUpload: { status: 404, message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', ec: '0042-00000002' },
  NoSuchBucketPolicy: { status: 404, message: 'The specified bucket policy does not exist.', ec: '0031-00000001' },
  NoSuchCORSConfiguration: { status: 404, message: 'The CORS Configuration does not exist.', ec: '0024-00000001' },
  SymlinkTargetNotExist: { status: 404, message: 'The symlink target object does not exist.', ec: '0026-00000006' },
  BucketAlreadyExists: { status: 409, message: 'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.', ec: '0015-00000104' },
  BucketNotEmpty: { status: 409, message: 'The bucket has objects. Please delete them first.', ec: '0015-00000301' },
  PositionNotEqualToLength: { status: 409, message: 'Position is not equal to file length', ec: '0026-00000016' },
  ObjectNotAppendable: { status: 409, message: 'The object is not appendable.', ec: '0026-00000015' },
  FileAlreadyExists: { status: 409, message: 'The object you specified already exists and can not be overwritten.', ec: '0026-00000014' },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.', ec: '0015-00000001' },
  InvalidObjectName: { status: 400, message: 'The specified object is not valid.', ec: '0016-00000001' },
  InvalidArgument: { status: 400, message: 'Invalid Argument. Parameter is invalid.', ec: '0017-00000001' },
  InvalidRequest: { status: 400, message: 'Invalid request.', ec: '0017-00000002' },
  MalformedXML: { status: 400, message: 'The XML you provided was not well-formed or did not validate against our published schema.', ec: '0016-00000608' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified was invalid.', ec: '0016-00000401' },
  InvalidCRC64: { status: 400, message: 'The x-oss-hash-crc64ecma you specified does not match what we calculated.', ec: '0016-00000402' },
  XOssContentSHA256Mismatch: { status: 400, message: 'The provided x-oss-content-sha256 does not match what was computed.', ec: '0016-00000403' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed size.', ec: '0016-00000101' },
  EntityTooSmall: { status: 400, message: 'Your proposed upload smaller than the minimum allowed size.', ec: '0042-00000104' },
  InvalidPart: { status: 400, message: "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.", ec: '0042-00000105' },
  InvalidPartOrder: { status: 400, message: 'The list of parts was not in ascending order. Parts list must be specified in order by part number.', ec: '0042-00000106' },
  TooManyBuckets: { status: 400, message: 'You have attempted to create more buckets than allowed.', ec: '0015-00000105' },
  InvalidEncodingType: { status: 400, message: 'The encoding type is invalid, only url is supported.', ec: '0017-00000003' },
  NotSymlink: { status: 400, message: 'The object is not symlink.', ec: '0026-00000007' },
  InvalidPolicyDocument: { status: 400, message: 'Invalid Policy: the document is not valid JSON.', ec: '0031-00000002' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.', ec: '0016-00000102' },
  IncompleteBody: { status: 400, message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.', ec: '0016-00000103' },
  PreconditionFailed: { status: 412, message: 'At least one of the pre-conditions you specified did not hold.', ec: '0026-00000011' },
  NotModified: { status: 304, message: 'Not Modified', ec: '0026-00000012' },
  InvalidRange: { status: 416, message: 'The requested range cannot be satisfied.', ec: '0026-00000013' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.', ec: '0017-00000004' },
  NotImplemented: { status: 501, message: 'A header you provided implies functionality that is not implemented.', ec: '0017-00000005' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.', ec: '0000-00000001' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof catalogue;

/** Code-specific details: XML elements after HostId (e.g. Key, BucketName, Condition). */
export type ErrorDetail = Readonly<Record<string, string>>;

/** An error as a value: a catalogue code, an optional specific message and details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly detail: ErrorDetail;
  constructor(code: ErrorCode, message?: string, detail: ErrorDetail = {}) {
    super(message ?? catalogue[code].message);
    this.name = `${code}Error`;
    this.code = code;
    this.detail = detail;
  }
  get status(): number {
    return catalogue[this.code].status;
  }
  get ec(): string | undefined {
    return (catalogue[this.code] as CatalogueEntry).ec;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Shorthand for the frequent "argument X is invalid" case. */
export function invalidArgument(message: string, name?: string, value?: string): AppError {
  const detail: Record<string, string> = {};
  if (name !== undefined) detail.ArgumentName = name;
  if (value !== undefined) detail.ArgumentValue = value;
  return new AppError('InvalidArgument', message, detail);
}
