// The vending service's own error catalogue. It is a separate process with its own wire format (the
// `{StatusCode, ErrorCode, ErrorMessage}` JSON the OSS mobile SDKs' credential providers read), so its
// errors do not go through src/errors.ts, which maps the OSS and POP protocols of the Alunite server.

export const VEND_ERRORS = {
  BadRequest: 400,
  InvalidUser: 400,
  InvalidGrant: 400,
  InvalidKey: 400,
  MissingToken: 401,
  InvalidToken: 401,
  InvalidCredentials: 401,
  GrantNotAllowed: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  Throttling: 429,
  InternalError: 500,
  StsError: 502,
  StsUnavailable: 502,
} as const;

export type VendErrorCode = keyof typeof VEND_ERRORS;

/** An error as a value: a code from VEND_ERRORS and a message safe to show to the caller. */
export class VendError extends Error {
  readonly status: number;
  constructor(
    readonly code: VendErrorCode,
    message: string,
    /** Extra response headers (WWW-Authenticate, Retry-After, Allow). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'VendError';
    this.status = VEND_ERRORS[code];
  }
}

/** The wire body of an error: StatusCode is a string, as in the OSS mobile SDKs' STS server samples. */
export function errorBody(err: VendError): { StatusCode: string; ErrorCode: string; ErrorMessage: string } {
  return { StatusCode: String(err.status), ErrorCode: err.code, ErrorMessage: err.message };
}
