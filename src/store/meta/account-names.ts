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
