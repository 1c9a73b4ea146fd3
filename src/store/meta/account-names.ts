// Which rows of a shared RAM name table belong to the same account as a stored name (docs/accounts.md): the
// default account's names hold no `/`; another account's are `<accountId>/<name>` (its marker row
// `<accountId>/` is not one of its entities). RAM limits count the rows of the creating account only.

/** The account part of a stored name (null: the default account). */
export function accountOfStoredName(stored: string): string | null {
  const slash = stored.indexOf('/');
  return slash < 0 ? null : stored.slice(0, slash);
}

/**
 * A SQL condition on `column` (with its parameters) selecting the entities of `stored`'s account. The range
 * `(<id>/, <id>0)` holds exactly the names with that prefix ('0' follows '/' in byte order, both engines
 * compare these columns bytewise). `position` names the engine's substring search (SQLite instr, PostgreSQL strpos).
 */
export function sameAccountCondition(column: string, stored: string, param: (i: number) => string, position: 'instr' | 'strpos'): { sql: string; params: string[] } {
  const account = accountOfStoredName(stored);
  if (account === null) return { sql: `${position}(${column}, '/') = 0`, params: [] };
  return { sql: `${column} > ${param(0)} AND ${column} < ${param(1)}`, params: [`${account}/`, `${account}0`] };
}

/**
 * A SQL condition on a `ram_attachments` row aliased `a`: its principal (user, group or role) is an entity of
 * `stored`'s account. System policies are shared by every account, so their attachment rows are of all accounts;
 * counting or listing them for one account takes only its own (docs/accounts.md). `param(i)` numbers the
 * condition's own parameters from 0.
 */
export function attachmentInAccountCondition(stored: string, param: (i: number) => string, position: 'instr' | 'strpos'): { sql: string; params: string[] } {
  const tables = [['User', 'ram_users', 'user_id'], ['Group', 'ram_groups', 'group_id'], ['Role', 'ram_roles', 'role_id']] as const;
  const parts: string[] = [];
  const params: string[] = [];
  for (const [kind, table, id] of tables) {
    const base = params.length;
    const c = sameAccountCondition('t.name', stored, (i) => param(base + i), position);
    parts.push(`(a.principal_kind = '${kind}' AND EXISTS (SELECT 1 FROM ${table} t WHERE t.${id} = a.principal_id AND ${c.sql}))`);
    params.push(...c.params);
  }
  return { sql: `(${parts.join(' OR ')})`, params };
}
