// The data error of SelectObject (docs/select.md "Errors"), in a module of its own so the readers and the
// number kinds (int64.ts) can raise it without importing the evaluator.

/**
 * A data error found while reading or evaluating a record (a cast that cannot hold, a malformed record):
 * reported in the end frame as `code.message`.
 */
export class EvalError extends Error {
  constructor(message: string, readonly code = 'InvalidSqlExpression') {
    super(message);
  }
}
