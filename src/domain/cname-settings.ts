// How PutCname proves that the caller owns a domain (docs/stored-configurations.md#cnames-implemented). Kept apart so the CLI
// can check the option without loading the server.

/** `dns`: the cloud's proof, a TXT record `_dnsauth.<domain>` holding the bucket's token. `token`: a live token suffices. */
export const CNAME_VERIFICATION_MODES = ['dns', 'token'] as const;
export type CnameVerificationMode = (typeof CNAME_VERIFICATION_MODES)[number];

export interface CnameSettings {
  /** Default `dns`. */
  verification?: CnameVerificationMode;
  /** The DNS server TXT records are asked of (`host` or `host:port`); default the system's. */
  dnsServer?: string;
  /** How long one TXT lookup may take (default 5000 ms). */
  dnsTimeoutMs?: number;
}

export function parseCnameVerification(value: string): CnameVerificationMode {
  const mode = CNAME_VERIFICATION_MODES.find((m) => m === value);
  if (mode === undefined) throw new Error(`the CNAME verification mode must be one of ${CNAME_VERIFICATION_MODES.join(', ')}`);
  return mode;
}
