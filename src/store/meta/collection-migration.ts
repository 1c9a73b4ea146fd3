// Migrations both engines run, written once for both dialects: a bucket configuration that held a list of many
// documents becomes a collection, one bucket_configs row per document (MetadataStore.getConfigEntry).

export interface ListToCollection {
  /** The old configuration's name (`stored.live-channel`). */
  config: string;
  /** The element of its document holding the list ({"LiveChannel": [doc, …]}, or one doc object). */
  list: string;
  /** The field of each document that names its entry. */
  idField: string;
  /** The collection (entries under `<bucket>/<collection>`). */
  collection: string;
}

/** Moves each bucket's list document into entries, each with the same JSON text; the old documents go. */
export function listToCollection(engine: 'sqlite' | 'postgres', m: ListToCollection): string {
  for (const v of Object.values(m)) if (!/^[A-Za-z][A-Za-z0-9.-]*$/.test(v)) throw new Error(`bad migration name ${v}`);
  if (engine === 'sqlite') {
    return `INSERT OR REPLACE INTO bucket_configs (bucket, name, document)
       SELECT c.bucket || '/${m.collection}', json_extract(e.value, '$.${m.idField}'), e.value
       FROM bucket_configs c, json_each(c.document, '$.${m.list}') e
       WHERE c.name = '${m.config}' AND json_type(c.document, '$.${m.list}') = 'array' AND json_type(e.value, '$.${m.idField}') = 'text';
     INSERT OR REPLACE INTO bucket_configs (bucket, name, document)
       SELECT c.bucket || '/${m.collection}', json_extract(c.document, '$.${m.list}.${m.idField}'), json_extract(c.document, '$.${m.list}')
       FROM bucket_configs c
       WHERE c.name = '${m.config}' AND json_type(c.document, '$.${m.list}') = 'object' AND json_type(c.document, '$.${m.list}.${m.idField}') = 'text';
     DELETE FROM bucket_configs WHERE name = '${m.config}';`;
  }
  // json, not jsonb: each document's text keeps its keys in their order.
  return `INSERT INTO bucket_configs (bucket, name, document)
       SELECT c.bucket || '/${m.collection}', e.value->>'${m.idField}', e.value::text
       FROM bucket_configs c, json_array_elements(CASE json_typeof(c.document::json->'${m.list}')
         WHEN 'array' THEN c.document::json->'${m.list}' WHEN 'object' THEN json_build_array(c.document::json->'${m.list}') ELSE '[]'::json END) e
       WHERE c.name = '${m.config}' AND json_typeof(e.value->'${m.idField}') = 'string'
       ON CONFLICT (bucket, name) DO UPDATE SET document = EXCLUDED.document;
     DELETE FROM bucket_configs WHERE name = '${m.config}';`;
}

/** Migration 12 (both engines): live channels by Name, inventories by Id. */
export function collectionsMigration(engine: 'sqlite' | 'postgres'): string {
  return [
    listToCollection(engine, { config: 'stored.live-channel', list: 'LiveChannel', idField: 'Name', collection: 'live-channel' }),
    listToCollection(engine, { config: 'stored.inventory', list: 'InventoryConfiguration', idField: 'Id', collection: 'inventory' }),
  ].join('\n');
}
