/** The policy engine's public surface (spec ram-sts §1–§3). Pure: no I/O, no HTTP, no storage. */
export type { Caller, ConditionContext, Effect, PolicyDocument, PolicyKind, PolicyStatement } from './types.js';
export { parsePolicy, parsePolicyAll, DEFAULT_MAX_LENGTH, type ParseAllResult, type ParseOptions, type ParseResult, type PolicyError } from './parse.js';
export { lintPolicy, unknownActionNote, type LintFinding, type LintReport } from './lint.js';
export { compilePolicy, compileOrDenyAll, compileDocument, clearPolicyCache, callerIds, CompiledPolicy, type CompileOptions, type CompileResult } from './compile.js';
export { evaluate, decide, combine, type Decision, type EvalRequest, type EvalResult, type FastResult, type MatchedStatement } from './evaluate.js';
export { aclAccessOf, authorizeOss, OSS_DENY, type OssAcl, type OssAuthzInput, type OssCaller, type OssCheck, type OssDecision, type OssDeciding, type OssLayer } from './oss.js';
export { assumeRoleCallerRefusal, authorizeAssumeRole, NO_PERMISSION_MESSAGE, type AssumeRoleAuthzInput, type AssumeRoleCallerInput, type AssumeRoleDecision } from './sts.js';
export { kmsKeyArn, ossResourceArn, ossServiceArn, ramRoleArn, ramRootArn, ramUserArn, roleOfArn, stsAssumedRoleArn } from './arn.js';
export { decideRamAction, type RamActionAuthzInput, type RamActionDecision } from './ram-action.js';
export {
  explainOss,
  explainRamAction,
  explainAssumeRole,
  explainPolicyLayers,
  explainPolicySet,
  traceOfBasis,
  type ConditionTrace,
  type DecisionTrace,
  type FailedPart,
  type LayerTrace,
  type LayerVerdict,
  type PolicyTrace,
  type StatementTrace,
  type TraceBasis,
  type TraceLayerName,
} from './explain.js';
