import { AppError, type ErrorCode } from '../errors.js';
import { xmlCarries } from '../util/xml-chars.js';

// Name and text-field rules (spec ram-sts §4.2): length first, then characters.

interface Rule {
  max: number;
  chars?: RegExp;
  length: ErrorCode;
  invalid?: ErrorCode;
  /**
   * A free-text field (comments, descriptions, contact details): any character an XML 1.0 answer can carry (the POP
   * API answers XML unless JSON is asked for), else this error. U+0000 also cannot be kept by the PostgreSQL store:
   * a comment holding one was a 500 InternalError there.
   */
  text?: ErrorCode;
}

const RULES = {
  UserName: { max: 64, chars: /^[A-Za-z0-9._-]+$/, length: 'InvalidParameter.UserName.Length', invalid: 'InvalidParameter.UserName.InvalidChars' },
  DisplayName: {
    max: 128, chars: /^[\p{L}\p{N}@._ -]+$/u, length: 'InvalidParameter.DisplayName.Length', invalid: 'InvalidParameter.DisplayName.InvalidChars',
  },
  GroupName: { max: 64, chars: /^[A-Za-z0-9-]+$/, length: 'InvalidParameter.GroupName.Length', invalid: 'InvalidParameter.GroupName.InvalidChars' },
  RoleName: { max: 64, chars: /^[A-Za-z0-9.-]+$/, length: 'InvalidParameter.RoleName.Length', invalid: 'InvalidParameter.RoleName.InvalidChars' },
  PolicyName: { max: 128, chars: /^[A-Za-z0-9-]+$/, length: 'InvalidParameter.PolicyName.Length', invalid: 'InvalidParameter.PolicyName.InvalidChars' },
  Comments: { max: 128, length: 'InvalidParameter.Comments.Length', text: 'InvalidParameter.Comments.InvalidChars' },
  Description: { max: 1024, length: 'InvalidParameter.Description.Length', text: 'InvalidParameter.Description.InvalidChars' },
  Email: { max: 128, length: 'InvalidParameter.Email.Length', text: 'InvalidParameter.Email.InvalidChars' },
  MobilePhone: { max: 32, length: 'InvalidParameter.MobilePhone.Length', text: 'InvalidParameter.MobilePhone.InvalidChars' },
} as const satisfies Record<string, Rule>;

export type NamedField = keyof typeof RULES;

/** Throws the field's InvalidParameter error when `value` breaks its rule. Empty names are too short. */
export function checkField(field: NamedField, value: string): string {
  const rule: Rule = RULES[field];
  const len = [...value].length;
  if (len > rule.max || (rule.chars !== undefined && len === 0)) throw new AppError(rule.length);
  if (rule.chars !== undefined && rule.invalid !== undefined && !rule.chars.test(value)) throw new AppError(rule.invalid);
  if (rule.text !== undefined && !xmlCarries(value)) throw new AppError(rule.text);
  return value;
}

export const MIN_SESSION_DURATION = 3600;
export const MAX_SESSION_DURATION = 43200;

export function checkMaxSessionDuration(value: number): number {
  if (!Number.isInteger(value) || value < MIN_SESSION_DURATION || value > MAX_SESSION_DURATION) {
    throw new AppError('InvalidParameter.MaxSessionDuration');
  }
  return value;
}

export function checkVersionId(value: string): string {
  if (!/^v[1-9]\d{0,8}$/.test(value)) throw new AppError('InvalidParameter.VersionId.Format');
  return value;
}
