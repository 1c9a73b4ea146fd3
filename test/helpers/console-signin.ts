// The console's sign-in API (docs/console.md) as a browser calls it: same-origin JSON POSTs.

export type SignInBody = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON

/** POST /-/console/api/signin<path> on the server at `url` (a string body is sent as it is). */
export async function signInPost(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: SignInBody }> {
  const res = await fetch(`${url}/-/console/api/signin${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: JSON.parse(await res.text()) as SignInBody };
}
