import type { Principal } from '../auth/principal.js';
import type { OssCaller } from '../policy/index.js';

/** The policy engine's view of an authenticated principal (role sessions are callers of kind `role`). */
export function policyCaller(p: Principal): OssCaller {
  switch (p.type) {
    case 'anonymous':
      return { kind: 'anonymous' };
    case 'root':
      return { kind: 'root', accountId: p.accountId };
    case 'user':
      return p.mfa === true
        ? { kind: 'user', accountId: p.accountId, userId: p.userId, userName: p.userName, mfa: true }
        : { kind: 'user', accountId: p.accountId, userId: p.userId, userName: p.userName };
    case 'session':
      return { kind: 'role', accountId: p.accountId, roleName: p.roleName, sessionName: p.sessionName };
  }
}
