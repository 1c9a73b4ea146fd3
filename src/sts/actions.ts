// The STS actions and the resources each is authorized on, as for RAM (ram/actions.ts): the RPC action
// table is keyed by this one, so an action cannot be added without declaring its resources.
export const STS_ACTION_RESOURCES = {
  /** The role (`ramRoleArn`: lower-cased name): the caller's policies must allow `sts:AssumeRole` on it and its trust policy admit the caller. */
  AssumeRole: (i: { roleArn: string }) => [i.roleArn],
  /** None: who the caller is, never denied (spec ram-sts §5.3). */
  GetCallerIdentity: (_: Record<string, never>): string[] => [],
} satisfies Record<string, (input: never) => readonly string[]>;

export type StsActionName = keyof typeof STS_ACTION_RESOURCES;
