// The vend demo page: log in to the vending service, get STS credentials for the user's own prefix, and
// use ali-oss's browser build straight against OSS (upload with progress, list, download). The credential
// provider is alunite/client's VendingCredentialProvider, served unchanged as an ES module.
import { VendingCredentialProvider, isCredentialError } from '/demo/credentials.js';

const $ = (id) => document.getElementById(id);
const state = { token: null, user: null, provider: null, client: null, config: null };

function setText(id, text) {
  $(id).textContent = text;
}

function describe(err) {
  if (err && err.code) return `${err.code}: ${(err.message || '').replace(/^[^,]*?Error: /, '')}`;
  return err && err.message ? err.message : String(err);
}

/**
 * ali-oss's browser build reports a request the browser would not send or whose answer it withheld as
 * `RequestError: XHR error`, status -1, without saying why. The usual cause is a bucket without a CORS rule
 * for this page's origin; the other is a server that is not running. A no-cors request tells them apart: the
 * browser lets it reach any server (its answer stays opaque), so it fails only when nothing answers.
 */
async function explain(err) {
  if (!err || err.status !== -1 || err.code !== 'RequestError') return describe(err);
  const cfg = state.config;
  const endpoint = new URL(cfg.endpoint);
  const origin = cfg.pathStyle ? endpoint.origin : `${endpoint.protocol}//${cfg.bucket}.${endpoint.host}`;
  try {
    await fetch(`${origin}/`, { mode: 'no-cors', cache: 'no-store' });
  } catch {
    return `Cannot reach OSS at ${origin} from this page: is the server running there?`;
  }
  return (
    `OSS at ${origin} answered, but the browser kept the answer from this page (CORS): bucket ${cfg.bucket} needs ` +
    `a CORS rule allowing the origin ${location.origin} (methods GET, PUT, POST, DELETE, HEAD; headers *; ` +
    `exposing ETag and x-oss-request-id), e.g. with alunite oss bucket cors put oss://${cfg.bucket} cors.json`
  );
}

function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The user id is the subject of the bearer token (the service checked it; this is only for display). */
function subjectOf(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.sub;
  } catch {
    return null;
  }
}

async function ossClient() {
  if (state.client) return state.client;
  const cfg = state.config;
  const opts = await state.provider.aliOssOptions();
  const endpoint = new URL(cfg.endpoint);
  state.client = new window.OSS({
    region: cfg.region,
    endpoint: cfg.endpoint,
    bucket: cfg.bucket,
    secure: endpoint.protocol === 'https:',
    // Path style (endpoint/bucket/key) for IP and localhost endpoints: a browser cannot set the Host header.
    sldEnable: cfg.pathStyle,
    ...opts,
  });
  const creds = await state.provider.getCredentials();
  setText('expiration', creds.expiration.toLocaleTimeString());
  return state.client;
}

/** Runs an OSS call; on an expired or invalid token, fetches new credentials once and retries. */
async function withClient(fn) {
  try {
    return await fn(await ossClient());
  } catch (err) {
    if (!isCredentialError(err)) throw err;
    state.provider.invalidate();
    state.client = null;
    return fn(await ossClient());
  }
}

async function login(event) {
  event.preventDefault();
  setText('login-error', '');
  let token;
  if (state.config.authMode === 'users') {
    const res = await fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: $('username').value, password: $('password').value }),
    });
    const body = await res.json();
    if (!res.ok) return setText('login-error', `${body.ErrorCode}: ${body.ErrorMessage}`);
    token = body.token;
  } else {
    token = $('jwt').value.trim();
  }
  state.token = token;
  state.user = state.config.authMode === 'users' ? $('username').value : subjectOf(token);
  state.provider = new VendingCredentialProvider({ url: `${location.origin}/sts/token`, bearer: token });
  try {
    await state.provider.getCredentials();
  } catch (err) {
    state.token = null;
    return setText('login-error', describe(err));
  }
  $('password').value = '';
  $('login-section').hidden = true;
  $('app-section').hidden = false;
  setText('who', state.user);
  setText('prefix', `${state.user}/`);
  setText('bucket', state.config.bucket);
  // Ready to try: a key in another user's folder (a placeholder alone made "Try to read" answer "fill out this field").
  $('other-key').value = `${state.user === 'usr002' ? 'usr001' : 'usr002'}/secret.txt`;
  setText('other-status', '');
  await refreshList();
}

function logout() {
  Object.assign(state, { token: null, user: null, provider: null, client: null });
  $('app-section').hidden = true;
  $('login-section').hidden = false;
  $('file-rows').replaceChildren();
}

async function upload(event) {
  event.preventDefault();
  const file = $('file').files[0];
  if (!file) return;
  const key = `${state.user}/${file.name}`;
  $('upload-button').disabled = true;
  $('progress').value = 0;
  setText('upload-status', `Uploading ${file.name}…`);
  try {
    await withClient((client) =>
      client.multipartUpload(key, file, {
        // Small parts only for small files (a progress bar that moves); large files in 5 MiB parts, 4 at
        // a time: 100 KiB parts made a 30 MiB upload take 19 s.
        partSize: file.size > 8 * 1024 * 1024 ? 5 * 1024 * 1024 : 100 * 1024,
        parallel: 4,
        progress: (p) => {
          $('progress').value = p;
          setText('upload-status', `Uploading ${file.name}… ${Math.round(p * 100)}%`);
        },
      }),
    );
    $('progress').value = 1;
    setText('upload-status', `Uploaded ${key} (${formatSize(file.size)})`);
    await refreshList();
  } catch (err) {
    setText('upload-status', '');
    setText('other-status', `Upload failed: ${await explain(err)}`);
  } finally {
    $('upload-button').disabled = false;
  }
}

async function refreshList() {
  setText('list-status', 'Loading…');
  try {
    const result = await withClient((client) => client.list({ prefix: `${state.user}/`, 'max-keys': 100 }, {}));
    const rows = (result.objects || []).map((o) => {
      const tr = document.createElement('tr');
      const name = document.createElement('td');
      name.textContent = o.name;
      const size = document.createElement('td');
      size.className = 'size';
      size.textContent = formatSize(o.size);
      const action = document.createElement('td');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary small download';
      button.textContent = 'Download';
      button.dataset.key = o.name;
      button.addEventListener('click', () => download(o.name));
      action.append(button);
      tr.append(name, size, action);
      return tr;
    });
    $('file-rows').replaceChildren(...rows);
    setText('list-status', rows.length === 0 ? 'No files yet.' : `${rows.length} file(s).`);
  } catch (err) {
    setText('list-status', `Listing failed: ${await explain(err)}`);
  }
}

async function download(key) {
  try {
    const result = await withClient((client) => client.get(key));
    const url = URL.createObjectURL(new Blob([result.content]));
    const a = document.createElement('a');
    a.href = url;
    a.download = key.split('/').pop();
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    setText('other-status', `Download failed: ${await explain(err)}`);
  }
}

async function readOther(event) {
  event.preventDefault();
  const key = $('other-key').value.trim();
  setText('other-status', '');
  try {
    await withClient((client) => client.get(key));
    setText('other-status', `Read ${key}: allowed`);
  } catch (err) {
    setText('other-status', await explain(err));
  }
}

async function start() {
  state.config = await (await fetch('/demo/config.json')).json();
  $('password-login').hidden = state.config.authMode !== 'users';
  $('jwt-login').hidden = state.config.authMode === 'users';
  $('username').required = state.config.authMode === 'users';
  $('login-form').addEventListener('submit', login);
  $('logout-button').addEventListener('click', logout);
  $('upload-form').addEventListener('submit', upload);
  $('refresh-button').addEventListener('click', refreshList);
  $('other-form').addEventListener('submit', readOther);
  document.body.dataset.ready = 'true';
}

start().catch((err) => setText('login-error', describe(err)));
