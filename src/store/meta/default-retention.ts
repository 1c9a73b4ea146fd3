import type { DefaultRetentionStamp, ObjectRecord } from '../../domain/model.js';

// ObjectWorm's default retention (domain/object-worm.ts), stamped on each version in the transaction that writes it,
// as the cloud applies the default to each object as it is uploaded: a later change of the default needs no history.

/** The bucket configuration (`bucket_configs.name`) holding ObjectWorm's switch and default rule. */
export const OBJECT_WORM_CONFIG = 'object-worm';

/**
 * The write's reading of the bucket's default rule, as both engines' SQL answers it: null when the bucket has no
 * ObjectWorm, the text 'null' when it has one without a default, else the rule's JSON.
 */
export type DefaultRuleText = string | null;

/**
 * `record` as the version it becomes: carrying the default rule in force (null: ObjectWorm without one, stamped too,
 * so that only versions written before stamping are looked up in the configuration's old history), or nothing where
 * the bucket has no ObjectWorm. A decider's record copied from another version never keeps that version's stamp.
 */
export function stampDefaultRule(record: ObjectRecord, rule: DefaultRuleText): ObjectRecord {
  if (rule === null) {
    if (record.attrs?.defaultRetention === undefined) return record;
    const { defaultRetention: _gone, ...rest } = record.attrs;
    return { ...record, attrs: Object.keys(rest).length > 0 ? rest : undefined };
  }
  const defaultRetention = JSON.parse(rule) as DefaultRetentionStamp | null;
  return { ...record, attrs: { ...record.attrs, defaultRetention } };
}
