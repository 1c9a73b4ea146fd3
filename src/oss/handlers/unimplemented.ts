import { AppError } from '../../errors.js';
import type { Handler } from '../context.js';
import type { Operation } from '../operations.js';

/** A published operation Alunite does not implement: reached only after authentication and authorization. */
export const unimplemented: Handler<Extract<Operation, { name: 'Unimplemented' }>> = async (req) => {
  throw new AppError('NotImplemented', req.op.params.message);
};
