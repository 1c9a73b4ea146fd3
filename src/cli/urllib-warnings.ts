// urllib (ali-oss's HTTP client) writes a warning and a stack trace to stderr when one request ends twice
// ("… callback twice!!!"): a streamed upload to an endpoint where nothing listens fails on the socket and on
// the stream. The CLI reports that failure once, as `error: NetworkError: cannot reach …`; the two warnings
// before it only bury that line. urllib writes no other `[urllib:warn]` lines.

const PREFIX = '[urllib:warn] ';
let installed = false;

/** Drops urllib's `[urllib:warn]` lines from console.warn in this process (the CLI's: never the server's). */
export function quietUrllibWarnings(): void {
  if (installed) return;
  installed = true;
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && args[0].startsWith(PREFIX)) return;
    warn(...args);
  };
}
