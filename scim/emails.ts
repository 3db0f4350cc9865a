// No zod and no Node imports here: sync/payloads.ts uses this, and workflow code reaches it (the bundle re-evaluates
// every module it reaches for each workflow execution; test/workflows/bundle-imports.test.ts).

/**
 * Peakon's work address among a user's emails: the primary `work` one, else the first `work` one, else the primary,
 * else the first. Peakon requires it to equal userName; the sandbox checks that with this rule and the connector's
 * diff compares the mapped email with it, so a user with [home, work] and no primary flag is not rewritten.
 */
export function workEmailOf<T extends { value: string; type?: string | undefined; primary?: boolean | undefined }>(emails: readonly T[] | undefined): T | undefined {
  const list = emails ?? [];
  const isWork = (email: T): boolean => email.type?.toLowerCase() === 'work';
  return list.find((email) => isWork(email) && email.primary === true) ?? list.find(isWork) ?? list.find((email) => email.primary === true) ?? list[0];
}
