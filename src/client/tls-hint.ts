// What to do when TLS refuses the server's certificate: Node's own messages name the fault, not the fix, and a
// self-hosted server with a private or self-signed certificate meets the first one on the first try.

/** `: <what to do>` for a certificate Node could not verify, or '' when the message is about something else. */
export function certificateHint(message: string): string {
  if (/self-signed certificate|unable to verify the first certificate|unable to get local issuer certificate|unable to get issuer certificate/i.test(message)) {
    return ': the server\'s certificate is not signed by a CA this machine trusts; give Node the CA certificate ' +
      '(for a self-signed server, its --cert file) with NODE_EXTRA_CA_CERTS=/path/to/ca.pem';
  }
  return '';
}
