// @ts-check
// OSS buckets and objects: list / create / delete buckets, browse by prefix with folders, upload with
// progress, download, delete, presigned URLs, bucket and object ACLs. Path-style URLs, V1 signatures.
import { oss, presign, rememberRegion, xml } from '../api.js';
import { bytes, dangerButton, fill, field, h, notice, options, run, table } from '../dom.js';

const BUCKET_ACLS = ['private', 'public-read', 'public-read-write'];
const OBJECT_ACLS = ['default', ...BUCKET_ACLS];

/**
 * @param {Element | Document} parent
 * @param {string} tag
 */
function text(parent, tag) {
  return parent.getElementsByTagName(tag)[0]?.textContent ?? '';
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
    const doc = xml(await oss({ method: 'GET', action: 'oss:ListBuckets' }));
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
          '', '', '',
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

    // upload
    const files = h('input', { type: 'file', name: 'file', multiple: true, id: 'upload-file' });
    const progress = h('progress', { id: 'upload-progress', max: 100, value: 0 });
    const progressText = h('span', { id: 'upload-progress-text', class: 'muted' });
    const upload = h('button', { type: 'submit', id: 'upload' }, 'Upload');
    const uploadForm = h('form', { class: 'inline', id: 'upload-form' }, field(`Upload to ${prefix || '/'}`, files), upload, progress, progressText);
    uploadForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const chosen = [...(files.files ?? [])];
      if (chosen.length === 0) return;
      void run(upload, async () => {
        let events = 0;
        progress.dataset.state = 'uploading';
        for (const f of chosen) {
          progress.max = Math.max(f.size, 1);
          progress.value = 0;
          await oss({
            method: 'PUT', bucket, key: prefix + f.name, body: f, headers: { 'Content-Type': f.type || 'application/octet-stream' }, action: 'oss:PutObject',
            onProgress: (loaded, total) => {
              events++;
              progress.value = loaded;
              progress.dataset.events = String(events);
              progressText.textContent = `${f.name}: ${bytes(loaded)} of ${bytes(total || f.size)} (${total ? Math.round((loaded / total) * 100) : 0}%)`;
            },
          });
          progress.value = progress.max;
          progressText.textContent = `${f.name}: uploaded (${bytes(f.size)}).`;
        }
        progress.dataset.state = 'done';
        files.value = '';
        await reload();
      }).then((ok) => {
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
      const doc = xml(await oss({ method: 'GET', bucket, query: [['acl', '']], action: 'oss:GetBucketAcl' }));
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
    await Promise.all([run(null, reload), run(null, loadAcl)]);
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

  fill(root, h('h1', {}, 'Buckets'), h('div', { class: 'card' }, h('h2', {}, 'Create a bucket'), form), h('div', { class: 'card' }, h('h2', {}, 'Buckets'), listBox), browser);
  await run(null, load);
  const wanted = hash[2] ? decodeURIComponent(hash[2]) : '';
  if (wanted) await run(null, () => open(wanted, ''));
}
