/** What a message shows where a server's text held a secret. */
export const REDACTED = '[redacted]';

/**
 * Every occurrence of each secret in `text` replaced by {@link REDACTED}: the one rule for server-provided text (an
 * error detail, a body snippet) before it goes into a message, because a server may echo the credential it was sent
 * and messages reach workflow history, CLI output and CI logs. Longest secrets first, so one that contains another is
 * removed whole; empty ones are skipped (they would match between every character). A module of its own, without
 * imports, so the SCIM client (which imports nothing else of the connector) can share it with the HR sources.
 */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const ordered = [...new Set(secrets)].filter((secret) => secret !== '').sort((a, b) => b.length - a.length);
  return ordered.reduce((redacted, secret) => redacted.split(secret).join(REDACTED), text);
}
