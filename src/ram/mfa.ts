import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import { seal } from '../util/secret-box.js';
import type { AccountSettings } from './account-settings.js';
import { authorizeAction, DOC, isSelf, mustUser, readDoc, targetUser, unsealWithRing, type ExtrasContext } from './extras-context.js';
import type { RamUser } from './model.js';
import type { RamCaller } from './service.js';
import { base32Decode, base32Encode, consecutiveCodesStep, totpCode, totpStep } from './totp.js';
import { qrCodePng } from './qr.js';
import { safeEqual } from '../util/safe-equal.js';

// Virtual MFA devices (docs/ram.md): a device is a TOTP seed (sealed under the master key) named
// `acs:ram::<account>:mfa/<name>`; binding needs two consecutive codes (RFC 6238, 30 s, one step of drift).
// The device document says which user it is bound to, the user's document which device: both change in
// one transaction, so a user has at most one device and a device at most one user.

interface MfaDeviceDoc {
  sealedSeed: string;
  createDate: number;
  userId?: string;
  activateDate?: number;
  /** Last TOTP step accepted at binding (a later sign-in must not accept these codes again). */
  lastStep?: number;
}

export interface MfaDeviceView {
  serialNumber: string;
  activateDate?: number;
  user?: RamUser;
}

const DEVICE_NAME = /^[A-Za-z0-9.-]{1,64}$/;
const SEED_BYTES = 40;
/** Devices per account (a user has at most one; unbound ones count too). */
export const MAX_MFA_DEVICES = 1000;

export class VirtualMfa {
  constructor(
    private readonly ctx: ExtrasContext,
    private readonly settings: AccountSettings,
  ) {}

  serialOf(name: string): string {
    return `acs:ram::${this.ctx.accountId}:mfa/${name}`;
  }

  /** SerialNumber → device name; another account's serial number names no device here. */
  private nameOf(serial: string): string {
    const prefix = 'acs:ram::';
    const m = /^acs:ram::(\d+):mfa\/(.+)$/.exec(serial);
    if (!serial.startsWith(prefix) || !m || !DEVICE_NAME.test(m[2]!)) throw new AppError('InvalidParameter.SerialNumber');
    if (m[1] !== this.ctx.accountId) throw new AppError('EntityNotExist.VirtualMFADevice');
    return m[2]!;
  }

  /** Refuses a RAM user managing its own device when the security preference forbids it. */
  private async selfService(caller: RamCaller, user: RamUser): Promise<void> {
    if (isSelf(caller, user) && !(await this.settings.securityPreference()).allowUserToManageMFADevices) {
      throw new AppError('NoPermission', 'The security preference of the account does not allow RAM users to manage their MFA devices.');
    }
  }

  /** `qrCodePng`: the otpauth:// URI an authenticator app scans (`<device>@<alias or account id>`), as a PNG. */
  async create(caller: RamCaller, name: string): Promise<{ serialNumber: string; base32StringSeed: string; qrCodePng: Buffer }> {
    if (!DEVICE_NAME.test(name)) throw new AppError('InvalidParameter.VirtualMFADeviceName');
    await authorizeAction(this.ctx, caller, 'CreateVirtualMFADevice', { deviceName: name });
    if ((await this.ctx.store.listIdentityDocs(DOC.mfaDevice)).size >= MAX_MFA_DEVICES) throw new AppError('LimitExceeded.VirtualMFADevice');
    const seed = base32Encode(randomBytes(SEED_BYTES));
    const doc: MfaDeviceDoc = { sealedSeed: seal(this.ctx.masterKey, seed, `mfa:${name}`), createDate: this.ctx.clock() };
    await this.ctx.store.updateIdentityDocs([{ kind: DOC.mfaDevice, id: name }], ([cur]) => {
      if (cur !== null) throw new AppError('EntityAlreadyExists.VirtualMFADevice');
      return [JSON.stringify(doc)];
    });
    const uri = `otpauth://totp/${name}@${await this.settings.alias()}?secret=${seed}`;
    return { serialNumber: this.serialOf(name), base32StringSeed: seed, qrCodePng: qrCodePng(uri) };
  }

  async delete(caller: RamCaller, serial: string): Promise<void> {
    const name = this.nameOf(serial);
    await authorizeAction(this.ctx, caller, 'DeleteVirtualMFADevice', { deviceName: name });
    await this.ctx.store.updateIdentityDocs([{ kind: DOC.mfaDevice, id: name }], ([cur]) => {
      if (cur === null) throw new AppError('EntityNotExist.VirtualMFADevice');
      if ((JSON.parse(cur) as MfaDeviceDoc).userId !== undefined) throw new AppError('DeleteConflict.VirtualMFADevice.User');
      return [null];
    });
  }

  async list(caller: RamCaller): Promise<MfaDeviceView[]> {
    await authorizeAction(this.ctx, caller, 'ListVirtualMFADevices', {});
    const out: MfaDeviceView[] = [];
    for (const [name, text] of await this.ctx.store.listIdentityDocs(DOC.mfaDevice)) {
      const d = JSON.parse(text) as MfaDeviceDoc;
      const user = d.userId !== undefined ? await this.ctx.store.getUserById(d.userId) : null;
      out.push({ serialNumber: this.serialOf(name), ...(d.activateDate !== undefined ? { activateDate: d.activateDate } : {}), ...(user ? { user } : {}) });
    }
    return out;
  }

  async bind(caller: RamCaller, input: { userName?: string; serialNumber: string; code1: string; code2: string }): Promise<void> {
    const userName = targetUser(caller, input.userName);
    const name = this.nameOf(input.serialNumber);
    await authorizeAction(this.ctx, caller, 'BindMFADevice', { userName, deviceName: name });
    const user = await mustUser(this.ctx, userName);
    await this.selfService(caller, user);
    const device = await readDoc<MfaDeviceDoc>(this.ctx, DOC.mfaDevice, name);
    if (!device) throw new AppError('EntityNotExist.VirtualMFADevice');
    if (device.userId !== undefined) throw new AppError('EntityAlreadyExists.VirtualMFADevice.User');
    const seed = base32Decode(unsealWithRing(this.ctx, device.sealedSeed, `mfa:${name}`));
    const now = this.ctx.clock();
    const step = consecutiveCodesStep(seed, input.code1, input.code2, now);
    if (step === null) throw new AppError('InvalidParameter.AuthenticationCode');
    await this.ctx.store.updateIdentityDocs([{ kind: DOC.mfaDevice, id: name }, { kind: DOC.mfaUser, id: user.userId }], ([dev, bound]) => {
      if (dev === null) throw new AppError('EntityNotExist.VirtualMFADevice');
      const d = JSON.parse(dev) as MfaDeviceDoc;
      if (d.userId !== undefined) throw new AppError('EntityAlreadyExists.VirtualMFADevice.User');
      if (bound !== null) throw new AppError('EntityAlreadyExists.User.MFADevice');
      // A seed replaced meanwhile (device deleted and re-created) does not accept the codes checked above.
      if (d.sealedSeed !== device.sealedSeed) throw new AppError('InvalidParameter.AuthenticationCode');
      return [JSON.stringify({ ...d, userId: user.userId, activateDate: now, lastStep: step + 1 }), JSON.stringify({ device: name })];
    });
  }

  async unbind(caller: RamCaller, input: { userName?: string }): Promise<{ serialNumber: string }> {
    const userName = targetUser(caller, input.userName);
    await authorizeAction(this.ctx, caller, 'UnbindMFADevice', { userName });
    const user = await mustUser(this.ctx, userName);
    await this.selfService(caller, user);
    const bound = await readDoc<{ device: string }>(this.ctx, DOC.mfaUser, user.userId);
    if (!bound) throw new AppError('EntityNotExist.User.MFADevice');
    await this.ctx.store.updateIdentityDocs([{ kind: DOC.mfaDevice, id: bound.device }, { kind: DOC.mfaUser, id: user.userId }], ([dev, cur]) => {
      if (cur === null || (JSON.parse(cur) as { device: string }).device !== bound.device) throw new AppError('EntityNotExist.User.MFADevice');
      if (dev === null) return [null, null];
      const { userId: _u, activateDate: _a, lastStep: _l, ...rest } = JSON.parse(dev) as MfaDeviceDoc;
      return [JSON.stringify(rest), null];
    });
    return { serialNumber: this.serialOf(bound.device) };
  }

  async userInfo(caller: RamCaller, input: { userName?: string }): Promise<{ serialNumber: string }> {
    const userName = targetUser(caller, input.userName);
    await authorizeAction(this.ctx, caller, 'GetUserMFAInfo', { userName });
    const user = await mustUser(this.ctx, userName);
    const bound = await readDoc<{ device: string }>(this.ctx, DOC.mfaUser, user.userId);
    if (!bound) throw new AppError('EntityNotExist.User.MFADevice');
    return { serialNumber: this.serialOf(bound.device) };
  }

  /**
   * Console sign-in (console/signin.ts): whether `code` is the TOTP code of the device bound to `userId` for the
   * current step or one step off, and later than any code accepted before (at binding or an earlier sign-in),
   * so a code is accepted once. The accepted step is stored in the device's document in the same transaction.
   */
  async verifySignInCode(userId: string, code: string): Promise<boolean> {
    if (!/^\d{6}$/.test(code)) return false;
    const bound = await readDoc<{ device: string }>(this.ctx, DOC.mfaUser, userId);
    if (!bound) return false;
    const device = await readDoc<MfaDeviceDoc>(this.ctx, DOC.mfaDevice, bound.device);
    if (!device || device.userId !== userId) return false;
    const seed = base32Decode(unsealWithRing(this.ctx, device.sealedSeed, `mfa:${bound.device}`));
    const now = totpStep(this.ctx.clock());
    let step: number | null = null;
    for (let s = now - 1; s <= now + 1; s++) {
      if (s > (device.lastStep ?? -Infinity) && safeEqual(totpCode(seed, s), code)) step = s;
    }
    if (step === null) return false;
    let accepted = false;
    await this.ctx.store.updateIdentityDocs([{ kind: DOC.mfaDevice, id: bound.device }], ([cur]) => {
      if (cur === null) return [null];
      const d = JSON.parse(cur) as MfaDeviceDoc;
      // Another sign-in took this code (or a later one) meanwhile, or the device changed: refuse.
      if (d.userId !== userId || d.sealedSeed !== device.sealedSeed || (d.lastStep ?? -Infinity) >= step!) return [cur];
      accepted = true;
      return [JSON.stringify({ ...d, lastStep: step })];
    });
    return accepted;
  }

  /**
   * Console sign-in of a user whose login profile requires MFA and who has none (console/signin.ts): creates the
   * device `name` with `seed` (whose two consecutive codes the caller has checked, the second at `lastStep`) and
   * binds it to `userId`, in one transaction. No authorization: the user proved its password; the cloud binds
   * at logon the same way.
   */
  async createBoundAtSignIn(userId: string, name: string, seed: string, lastStep: number): Promise<string> {
    if (!DEVICE_NAME.test(name)) throw new AppError('InvalidParameter.VirtualMFADeviceName');
    if ((await this.ctx.store.listIdentityDocs(DOC.mfaDevice)).size >= MAX_MFA_DEVICES) throw new AppError('LimitExceeded.VirtualMFADevice');
    const now = this.ctx.clock();
    const doc: MfaDeviceDoc = { sealedSeed: seal(this.ctx.masterKey, seed, `mfa:${name}`), createDate: now, userId, activateDate: now, lastStep };
    await this.ctx.store.updateIdentityDocs([{ kind: DOC.mfaDevice, id: name }, { kind: DOC.mfaUser, id: userId }], ([dev, bound]) => {
      if (dev !== null) throw new AppError('EntityAlreadyExists.VirtualMFADevice');
      if (bound !== null) throw new AppError('EntityAlreadyExists.User.MFADevice');
      return [JSON.stringify(doc), JSON.stringify({ device: name })];
    });
    return this.serialOf(name);
  }

  /** Whether `userId` has a device bound (DeleteUser refuses then). */
  async bound(userId: string): Promise<boolean> {
    return (await this.ctx.store.readIdentityDocs(DOC.mfaUser, [userId])).has(userId);
  }
}
