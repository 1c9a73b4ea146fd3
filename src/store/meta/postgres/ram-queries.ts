import type pg from 'pg';
import type { Queryable } from './base.js';
import { sameAccountCondition } from '../account-names.js';

// The query helpers of the RAM identity layers (users.ts … identity.ts).

export async function rows<R extends pg.QueryResultRow>(c: Queryable, text: string, values: unknown[] = []): Promise<R[]> {
  return (await c.query<R>(text, values)).rows;
}

export async function first<R extends pg.QueryResultRow>(c: Queryable, text: string, values: unknown[] = []): Promise<R | undefined> {
  // Every lookup here compares text columns for equality, and PostgreSQL text cannot hold U+0000: a value holding
  // one matches no row. Sent, it fails the query (UpdateAccessKey of `%00`, ListTagResources of a role `w%00`: 500).
  if (values.some((v) => typeof v === 'string' && v.includes('\u0000'))) return undefined;
  return (await c.query<R>(text, values)).rows[0];
}

/** Rows of `table` (by its `name`) in the account of the stored name `stored` (RAM limits count per account). */
export async function countInAccount(c: Queryable, table: string, stored: string): Promise<number> {
  const cond = sameAccountCondition('name', stored, (i) => `$${i + 1}`, 'strpos');
  return count(c, `SELECT count(*) AS n FROM ${table} WHERE ${cond.sql}`, cond.params);
}

export async function count(c: Queryable, text: string, values: unknown[] = []): Promise<number> {
  return (await c.query<{ n: number }>(text, values)).rows[0]!.n;
}
