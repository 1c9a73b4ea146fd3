// One migration both engines run (SQLite 12, PostgreSQL 12), written once for both dialects.

/**
 * Moves each bucket's 'stored.live-channel' document ({"LiveChannel": [channel, …]}, or one channel object) into
 * entries of its collection `<bucket>/live-channel`, keyed by the channel's Name (the same JSON text each).
 */
export function liveChannelsToEntries(engine: 'sqlite' | 'postgres'): string {
  if (engine === 'sqlite') {
    return `INSERT OR REPLACE INTO bucket_configs (bucket, name, document)
       SELECT c.bucket || '/live-channel', json_extract(e.value, '$.Name'), e.value
       FROM bucket_configs c, json_each(c.document, '$.LiveChannel') e
       WHERE c.name = 'stored.live-channel' AND json_type(c.document, '$.LiveChannel') = 'array' AND json_type(e.value, '$.Name') = 'text';
     INSERT OR REPLACE INTO bucket_configs (bucket, name, document)
       SELECT c.bucket || '/live-channel', json_extract(c.document, '$.LiveChannel.Name'), json_extract(c.document, '$.LiveChannel')
       FROM bucket_configs c
       WHERE c.name = 'stored.live-channel' AND json_type(c.document, '$.LiveChannel') = 'object' AND json_type(c.document, '$.LiveChannel.Name') = 'text';
     DELETE FROM bucket_configs WHERE name = 'stored.live-channel';`;
  }
  // json, not jsonb: the channel's text keeps its keys in their order.
  return `INSERT INTO bucket_configs (bucket, name, document)
       SELECT c.bucket || '/live-channel', e.value->>'Name', e.value::text
       FROM bucket_configs c, json_array_elements(CASE json_typeof(c.document::json->'LiveChannel')
         WHEN 'array' THEN c.document::json->'LiveChannel' WHEN 'object' THEN json_build_array(c.document::json->'LiveChannel') ELSE '[]'::json END) e
       WHERE c.name = 'stored.live-channel' AND json_typeof(e.value->'Name') = 'string'
       ON CONFLICT (bucket, name) DO UPDATE SET document = EXCLUDED.document;
     DELETE FROM bucket_configs WHERE name = 'stored.live-channel';`;
}
