import type { DecisionTrace } from '../policy/index.js';
import type { WireObject } from './response.js';

/**
 * A decision trace as POP bodies carry lists (`{Layers: {Layer: [...]}}`, as RAM answers `{Users: {User: [...]}}`),
 * so the JSON and the XML form (one element per item) say the same thing. Used by ExplainRequest and
 * SimulatePrincipalPolicy.
 */
export function traceWire(t: DecisionTrace): WireObject {
  return {
    Action: t.action,
    Resource: t.resource,
    Decision: t.decision,
    DecidingLayer: t.decidingLayer,
    Layers: {
      Layer: t.layers.map((l) => ({
        Name: l.layer,
        Verdict: l.verdict,
        Reason: l.reason,
        DecidingPolicy: l.deciding?.policy,
        DecidingStatementIndex: l.deciding?.statement,
        Policies: {
          Policy: l.policies.map((p) => ({
            Name: p.name,
            Verdict: p.verdict,
            Statements: {
              Statement: p.statements.map((s) => ({
                Index: s.index,
                Sid: s.sid,
                Effect: s.effect,
                Applied: s.applied,
                FailedPart: s.failed,
                Conditions: s.conditions === undefined ? undefined : {
                  Condition: s.conditions.map((c) => ({
                    Key: c.key,
                    Operator: c.operator,
                    Expected: { Value: [...c.expected] },
                    // Missing: the request has no such key (positive operators are false, negated ones true).
                    Actual: c.actual === null ? undefined : { Value: [...c.actual] },
                    Missing: c.actual === null ? true : undefined,
                  })),
                },
              })),
            },
          })),
        },
      })),
    },
  };
}
