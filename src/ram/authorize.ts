import type { Principal } from '../auth/principal.js';
import { AppError } from '../errors.js';

/** A RAM API call to authorize: who, what (`ram:CreateUser`), on which resource ARN, in which account. */
export interface RamAuthzRequest {
  principal: Principal;
  action: string;
  resource: string;
  accountId: string;
}

/**
 * The single authorization decision for RAM API actions. Today: the account root may do everything, any
 * other principal gets 403 NoPermission. The policy engine plugs in here (identity policies of RAM users,
 * session policies of STS sessions) without any caller changing.
 */
export async function authorizeRam(req: RamAuthzRequest): Promise<void> {
  if (req.principal.type === 'root' && req.principal.accountId === req.accountId) return;
  throw new AppError('NoPermission');
}

export type RamAuthorizer = typeof authorizeRam;
