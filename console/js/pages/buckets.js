// @ts-check
// OSS buckets and objects: list / create / delete buckets, open one by name (or one the signed-in
// principal's policies name) when ListBuckets is not allowed, browse by prefix with folders, delete a
// folder with everything under it, upload with progress (multipart for large files, cancellable),
// download, delete, presigned URLs, bucket and object ACLs. Path-style URLs, V1 signatures.
import { ApiError, current, oss, presign, rememberRegion, xml } from '../api.js';
import { bytes, dangerButton, dismissError, fill, field, h, notice, options, run, table } from '../dom.js';
import { contentMd5 } from '../md5.js';
import { bucketsFromOwnPolicies } from '../ram.js';
import { uploadFile } from '../upload.js';

const BUCKET_ACLS = ['private', 'public-read', 'public-read-write'];
const OBJECT_ACLS = ['default', ...BUCKET_ACLS];

/**
 * @param {Element | Document} parent
 * @param {string} tag
 */
function text(parent, tag) {
  return parent.getElementsByTagName(tag)[0]?.textContent ?? '';
}

/**
 * @param {string} s
 */
function xmlEscape(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** DeleteMultipleObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/**
 * Every key under a prefix (no delimiter), following the listing's pages.
 * @param {string} bucket
 * @param {string} prefix
 */
async function keysUnder(bucket, prefix) {
  /** @type {string[]} */
  const keys = [];
  let marker = '';
  for (;;) {
    /** @type {Array<[string, string]>} */
    const q = [['prefix', prefix], ['max-keys', String(DELETE_BATCH)]];
    if (marker) q.push(['marker', marker]);
    const doc = xml(await oss({ method: 'GET', bucket, query: q, action: 'oss:ListObjects' }));
    const page = [...doc.getElementsByTagName('Contents')].map((c) => text(c, 'Key'));
    keys.push(...page);
    if (text(doc, 'IsTruncated') !== 'true' || page.length === 0) return keys;
    marker = text(doc, 'NextMarker') || page[page.length - 1];
  }
}

/**
 * Deletes keys with DeleteMultipleObjects, DELETE_BATCH at a time (quiet mode: the answer lists only
 * the keys that could not be deleted).
 * @param {string} bucket
 * @param {string[]} keys
 * @param {(done: number) => void} onProgress
 */
async function deleteKeys(bucket, keys, onProgress) {
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const batch = keys.slice(i, i + DELETE_BATCH);
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Delete><Quiet>true</Quiet>${batch.map((k) => `<Object><Key>${xmlEscape(k)}</Key></Object>`).join('')}</Delete>`;
    const doc = xml(await oss({
      method: 'POST', bucket, query: [['delete', '']], body,
      headers: { 'Content-Type': 'application/xml', 'Content-MD5': contentMd5(body) }, action: 'oss:DeleteObject',
    }));
    const failed = [...doc.getElementsByTagName('Error')];
    if (failed.length > 0) {
      const first = failed[0];
      throw new ApiError(text(first, 'Code') || 'DeleteFailed', `${failed.length} of the objects could not be deleted, e.g. ${text(first, 'Key')}: ${text(first, 'Message')}`, 0, '', 'oss:DeleteObject', '');
    }
    onProgress(Math.min(keys.length, i + batch.length));
  }
}

/** @param {HTMLElement} root */
export async function render(root) {
  const hash = location.hash.split('/');
  const listBox = h('div', { id: 'bucket-list' });
  const browser = h('div', { id: 'bucket-browser' });
  const name = h('input', { name: 'BucketName', required: true, autocomplete: 'off', pattern: '[a-z0-9][a-z0-9\\-]{1,61}[a-z0-9]', title: '3-63 characters: a-z, 0-9 and -' });
  const acl = h('select', { name: 'acl', 'aria-label': 'Bucket ACL' }, options(BUCKET_ACLS));
  const create = h('button', { type: 'submit' }, 'Create bucket');
  const form = h('form', { class: 'inline', id: 'create-bucket' }, field('Bucket name', name), field('ACL', acl), create);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void run(create, async () => {
      const b = name.value.trim();
      await oss({ method: 'PUT', bucket: b, headers: { 'x-oss-acl': acl.value }, action: 'oss:PutBucket' });
      notice(`Bucket ${b} created.`);
      name.value = '';
      await load();
      await open(b, '');
    });
  });

  const load = async () => {
    /** @type {Document} */
    let doc;
    try {
      doc = xml(await oss({ method: 'GET', action: 'oss:ListBuckets', quiet: true }));
    } catch (e) {
      // Many principals may use a bucket without listing them all: say so, and offer to open one by name.
      if (!(e instanceof ApiError) || e.status !== 403) throw e;
      fill(listBox, h('p', { class: 'muted', id: 'list-buckets-denied', 'data-code': e.code },
        `You may not list the buckets (ListBuckets: ${e.code}). Open one by name below, or one your policies name.`));
      return;
    }
    const buckets = [...doc.getElementsByTagName('Bucket')];
    fill(listBox, table(['Bucket', 'Region', 'Created', ''], buckets.map((b) => {
      const n = text(b, 'Name');
      rememberRegion(n, text(b, 'Region'));
      return [
        h('a', { href: `#/buckets/${encodeURIComponent(n)}`, 'data-bucket': n, onclick: (/** @type {Event} */ e) => { e.preventDefault(); void run(null, () => open(n, '')); } }, n),
        text(b, 'Region') || text(b, 'Location'),
        text(b, 'CreationDate'),
        dangerButton('Delete', async () => {
          await oss({ method: 'DELETE', bucket: n, action: 'oss:DeleteBucket' });
          fill(browser);
          await load();
        }, { 'data-delete-bucket': n }),
      ];
    }), 'No buckets yet.', { id: 'buckets-table' }));
  };

  // Open a bucket by name: for principals that may use a bucket but not list them all.
  const openName = h('input', { name: 'OpenBucket', id: 'open-bucket-name', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'my-bucket' });
  const openBtn = h('button', { type: 'submit', id: 'open-bucket' }, 'Open');
  const openForm = h('form', { class: 'inline', id: 'open-bucket-form' }, field('Open a bucket by name', openName), openBtn);
  openForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const b = openName.value.trim();
    if (b) void run(openBtn, () => open(b, ''));
  });
  const named = h('div', { id: 'policy-buckets' });
  const loadNamed = async () => {
    const names = await bucketsFromOwnPolicies();
    fill(named, names.length === 0 ? '' : h('p', {}, 'Buckets your policies name: ', names.map((n, i) => [
      i > 0 ? ', ' : '',
      h('a', { href: `#/buckets/${encodeURIComponent(n)}`, 'data-policy-bucket': n, onclick: (/** @type {Event} */ e) => { e.preventDefault(); void run(null, () => open(n, '')); } }, n),
    ])));
  };

  /**
   * The object browser of one bucket at one prefix.
   * @param {string} bucket
   * @param {string} prefix
   */
  const open = async (bucket, prefix) => {
    const objectsBox = h('div', { id: 'objects' });
    const more = h('div');
    const aclBox = h('div', { class: 'inline' });
    const objectPanel = h('div', { id: 'object-panel' });

    /**
     * Deleting a folder deletes everything under its prefix, its marker object (`name/`) included,
     * after a confirmation that says how many objects that is.
     * @param {string} folder
     */
    const askDeleteFolder = async (folder) => {
      const keys = await keysUnder(bucket, folder);
      const status = h('span', { class: 'muted', id: 'folder-delete-status' });
      const confirm = h('button', { type: 'button', class: 'danger', id: 'confirm-folder-delete', 'data-count': keys.length, onclick: () => void run(confirm, async () => {
        cancel.disabled = true;
        await deleteKeys(bucket, keys, (done) => { status.textContent = `Deleted ${done} of ${keys.length}…`; });
        fill(objectPanel);
        notice(`Folder ${folder} deleted (${keys.length} object${keys.length === 1 ? '' : 's'}).`);
        await reload();
      }) }, `Delete ${keys.length} object${keys.length === 1 ? '' : 's'}`);
      const cancel = h('button', { type: 'button', id: 'cancel-folder-delete', onclick: () => fill(objectPanel) }, 'Cancel');
      const marker = keys.includes(folder);
      fill(objectPanel, h('div', { class: 'card sub warn', 'data-delete-folder-confirm': folder },
        h('p', { id: 'folder-delete-question' },
          keys.length === 0
            ? `Folder ${folder} holds no objects any more.`
            : `Delete folder ${folder}? This deletes ${keys.length} object${keys.length === 1 ? '' : 's'} under it${marker ? ' (the folder marker included)' : ''}, for good.`),
        h('div', { class: 'actions' }, keys.length > 0 ? confirm : null, cancel, status)));
      if (keys.length === 0) await reload();
    };

    /** @param {string} marker */
    const listPage = async (marker) => {
      /** @type {Array<[string, string]>} */
      const q = [['delimiter', '/'], ['max-keys', '100']];
      if (prefix) q.push(['prefix', prefix]);
      if (marker) q.push(['marker', marker]);
      const doc = xml(await oss({ method: 'GET', bucket, query: q, action: 'oss:ListObjects' }));
      const folders = [...doc.getElementsByTagName('CommonPrefixes')].map((c) => text(c, 'Prefix'));
      const objects = [...doc.getElementsByTagName('Contents')].map((c) => ({
        key: text(c, 'Key'), size: Number(text(c, 'Size')), modified: text(c, 'LastModified'), etag: text(c, 'ETag'),
      })).filter((o) => o.key !== prefix);
      const rows = [
        ...folders.map((f) => [
          h('a', { href: '#/buckets', class: 'folder', 'data-folder': f, onclick: (/** @type {Event} */ e) => { e.preventDefault(); void run(null, () => open(bucket, f)); } }, f.slice(prefix.length)),
          '', '',
          h('span', { class: 'actions' },
            h('button', { type: 'button', class: 'danger', 'data-delete-folder': f, onclick: (/** @type {Event} */ e) => void run(/** @type {HTMLButtonElement} */ (e.currentTarget), () => askDeleteFolder(f)) }, 'Delete…')),
        ]),
        ...objects.map((o) => [
          h('span', { class: 'object-key', 'data-key': o.key }, o.key.slice(prefix.length)),
          bytes(o.size),
          o.modified,
          h('span', { class: 'actions' },
            h('button', { type: 'button', 'data-download': o.key, onclick: (/** @type {Event} */ e) => void run(/** @type {HTMLButtonElement} */ (e.currentTarget), () => download(bucket, o.key)) }, 'Download'),
            h('button', { type: 'button', 'data-details': o.key, onclick: () => void run(null, () => details(bucket, o.key)) }, 'Share / ACL'),
            dangerButton('Delete', async () => {
              await oss({ method: 'DELETE', bucket, key: o.key, action: 'oss:DeleteObject' });
              fill(objectPanel);
              await reload();
            }, { 'data-delete-object': o.key })),
        ]),
      ];
      const t = table(['Name', 'Size', 'Last modified', ''], rows, prefix ? 'This folder is empty.' : 'This bucket is empty.', { id: 'objects-table' });
      if (marker) {
        const body = t.querySelector('tbody');
        const existing = objectsBox.querySelector('tbody');
        if (body && existing) existing.append(...body.children);
      } else {
        fill(objectsBox, t);
      }
      const next = text(doc, 'NextMarker');
      fill(more, text(doc, 'IsTruncated') === 'true' && next
        ? h('button', { type: 'button', onclick: (/** @type {Event} */ e) => void run(/** @type {HTMLButtonElement} */ (e.currentTarget), () => listPage(next)) }, 'Load more')
        : '');
    };
    const reload = () => listPage('');

    // upload: single PUT up to 8 MiB, multipart above (upload.js); Cancel aborts it.
    const files = h('input', { type: 'file', name: 'file', multiple: true, id: 'upload-file' });
    const progress = h('progress', { id: 'upload-progress', max: 100, value: 0 });
    const progressText = h('span', { id: 'upload-progress-text', class: 'muted' });
    const upload = h('button', { type: 'submit', id: 'upload' }, 'Upload');
    /** @type {AbortController | null} */
    let uploading = null;
    const cancelUpload = h('button', { type: 'button', id: 'upload-cancel', class: 'danger', hidden: true, onclick: () => uploading?.abort() }, 'Cancel');
    const uploadForm = h('form', { class: 'inline', id: 'upload-form' }, field(`Upload to ${prefix || '/'}`, files), upload, cancelUpload, progress, progressText);
    uploadForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const chosen = [...(files.files ?? [])];
      if (chosen.length === 0) return;
      const ctl = new AbortController();
      uploading = ctl;
      cancelUpload.hidden = false;
      void run(upload, async () => {
        let events = 0;
        progress.dataset.state = 'uploading';
        for (const f of chosen) {
          if (ctl.signal.aborted) return;
          progress.max = Math.max(f.size, 1);
          progress.value = 0;
          const r = await uploadFile({
            bucket, key: prefix + f.name, file: f, contentType: f.type || 'application/octet-stream', signal: ctl.signal,
            onStart: (info) => {
              progress.dataset.parts = String(info.parts);
              progress.dataset.partSize = String(info.partSize);
            },
            onProgress: (loaded, total) => {
              events++;
              progress.value = loaded;
              progress.dataset.events = String(events);
              progressText.textContent = `${f.name}: ${bytes(loaded)} of ${bytes(total || f.size)} (${total ? Math.round((loaded / total) * 100) : 0}%)`;
            },
          });
          progress.value = progress.max;
          progress.dataset.etag = r.etag;
          progressText.textContent = `${f.name}: uploaded (${bytes(f.size)}${r.parts ? ` in ${r.parts} parts` : ''}).`;
        }
        progress.dataset.state = 'done';
        files.value = '';
        await reload();
      }).then((ok) => {
        uploading = null;
        cancelUpload.hidden = true;
        if (ctl.signal.aborted) {
          // The user's own cancel is not an error: the file in progress was aborted and is not stored.
          progress.dataset.state = 'cancelled';
          progressText.textContent = 'Upload cancelled: the file in progress was not stored.';
          dismissError();
          void run(null, reload);
          return;
        }
        if (ok) return;
        progress.dataset.state = 'failed';
        progressText.textContent = 'Upload failed (see the error above).';
      });
    });

    // folders
    const folderName = h('input', { name: 'folder', autocomplete: 'off', placeholder: 'photos' });
    const mkdir = h('button', { type: 'submit' }, 'Create folder');
    const folderForm = h('form', { class: 'inline', id: 'folder-form' }, field('New folder', folderName), mkdir);
    folderForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const n = folderName.value.trim().replace(/\/+$/, '');
      if (!n) return;
      void run(mkdir, async () => {
        await oss({ method: 'PUT', bucket, key: `${prefix}${n}/`, body: '', action: 'oss:PutObject' });
        folderName.value = '';
        await reload();
      });
    });

    // bucket ACL
    const loadAcl = async () => {
      /** @type {Document} */
      let doc;
      try {
        doc = xml(await oss({ method: 'GET', bucket, query: [['acl', '']], action: 'oss:GetBucketAcl', quiet: true }));
      } catch (e) {
        // Using a bucket does not need its ACL: a principal that may not read it just does not see it.
        if (!(e instanceof ApiError) || e.status !== 403) throw e;
        fill(aclBox, h('span', { class: 'muted', id: 'bucket-acl-denied' }, `Bucket ACL: not readable (${e.code}).`));
        return;
      }
      const current = text(doc, 'Grant');
      const sel = h('select', { name: 'bucket-acl', 'aria-label': 'Bucket ACL' }, options(BUCKET_ACLS));
      sel.value = current;
      const save = h('button', { type: 'button', onclick: () => void run(save, async () => {
        await oss({ method: 'PUT', bucket, query: [['acl', '']], headers: { 'x-oss-acl': sel.value }, action: 'oss:PutBucketAcl' });
        notice(`Bucket ACL set to ${sel.value}.`);
        await loadAcl();
      }) }, 'Set bucket ACL');
      fill(aclBox, field('Bucket ACL', sel), save, h('span', { class: 'muted', id: 'bucket-acl' }, `now: ${current}`));
    };

    // breadcrumb
    const parts = prefix.split('/').filter(Boolean);
    /** @type {HTMLElement[]} */
    const crumbs = [h('a', { href: '#/buckets', onclick: (/** @type {Event} */ e) => { e.preventDefault(); void run(null, () => open(bucket, '')); } }, bucket)];
    parts.forEach((p, i) => {
      const to = `${parts.slice(0, i + 1).join('/')}/`;
      crumbs.push(h('span', {}, ' / '), h('a', { href: '#/buckets', onclick: (/** @type {Event} */ e) => { e.preventDefault(); void run(null, () => open(bucket, to)); } }, p));
    });

    fill(browser, h('div', { class: 'card', 'data-open-bucket': bucket, 'data-prefix': prefix },
      h('h2', { class: 'crumbs' }, ...crumbs),
      aclBox, uploadForm, folderForm, objectsBox, more, objectPanel));
    // A bucket that cannot be listed fails the opening (the caller shows why); its ACL is extra.
    await Promise.all([reload(), run(null, loadAcl)]);
  };

  /**
   * @param {string} bucket
   * @param {string} key
   */
  const download = async (bucket, key) => {
    const xhr = await oss({ method: 'GET', bucket, key, responseType: 'blob', action: 'oss:GetObject' });
    const url = URL.createObjectURL(/** @type {Blob} */ (xhr.response));
    const a = h('a', { href: url, download: key.split('/').pop() || 'download' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  /**
   * Presigned URL and object ACL of one object.
   * @param {string} bucket
   * @param {string} key
   */
  const details = async (bucket, key) => {
    const panel = /** @type {HTMLElement} */ (document.getElementById('object-panel'));
    const expiry = h('select', { name: 'expires', 'aria-label': 'URL valid for' },
      h('option', { value: '60' }, '1 minute'),
      h('option', { value: '900' }, '15 minutes'),
      h('option', { value: '3600', selected: true }, '1 hour'),
      h('option', { value: '86400' }, '1 day'),
      h('option', { value: '604800' }, '7 days'));
    const url = h('input', { id: 'presigned-url', readonly: true, class: 'wide', 'aria-label': 'Presigned URL' });
    const link = h('a', { id: 'presigned-link', target: '_blank', rel: 'noopener noreferrer' });
    const sign = h('button', { type: 'button', id: 'presign', onclick: () => void run(sign, async () => {
      url.value = await presign(bucket, key, Number(expiry.value));
      link.href = url.value;
      link.textContent = 'open';
    }) }, 'Create presigned URL');
    const aclSel = h('select', { name: 'object-acl', 'aria-label': 'Object ACL' }, options(OBJECT_ACLS));
    const aclNow = h('span', { class: 'muted', id: 'object-acl' });
    const loadAcl = async () => {
      const doc = xml(await oss({ method: 'GET', bucket, key, query: [['acl', '']], action: 'oss:GetObjectAcl' }));
      aclSel.value = text(doc, 'Grant');
      aclNow.textContent = `now: ${aclSel.value}`;
    };
    const saveAcl = h('button', { type: 'button', onclick: () => void run(saveAcl, async () => {
      await oss({ method: 'PUT', bucket, key, query: [['acl', '']], headers: { 'x-oss-object-acl': aclSel.value }, action: 'oss:PutObjectAcl' });
      notice(`Object ACL set to ${aclSel.value}.`);
      await loadAcl();
    }) }, 'Set object ACL');
    fill(panel, h('div', { class: 'card sub', 'data-object': key },
      h('h3', {}, key),
      h('div', { class: 'inline' }, field('Valid for', expiry), sign), url, link,
      h('div', { class: 'inline' }, field('Object ACL', aclSel), saveAcl, aclNow)));
    await run(null, loadAcl);
  };

  fill(root, h('h1', {}, 'Buckets'),
    h('div', { class: 'card' }, h('h2', {}, 'Buckets'), listBox, openForm, named),
    h('div', { class: 'card' }, h('h2', {}, 'Create a bucket'), form),
    browser);
  await run(null, load);
  // Only a RAM user or role session has policies of its own to read (quietly: most may not read them).
  if (current()?.identity.IdentityType !== 'Account') await loadNamed().catch(() => undefined);
  const wanted = hash[2] ? decodeURIComponent(hash[2]) : '';
  if (wanted) await run(null, () => open(wanted, ''));
}
