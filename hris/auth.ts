import { describeSecretRef, SecretPolicyError, type SecretDestination, type SecretRef, type SecretResolver } from '../config/secret';
import type { RestAuth } from './config';
import { SourceReadError } from './source';

/**
 * Resolves a secret meant for a request header to `destination` (the URL of the request that will carry it). A
 * refusal by the worker's secret policy (host not bound, file outside the secret directory, plain http) passes
 * through unchanged: it is a non-retryable configuration error. Other failures become SourceReadErrors (the run stops
 * before any write); a CR or LF would let the secret inject headers, and axios would echo it in its error, so it is refused.
 */
export function headerSecret(ref: SecretRef, resolveSecret: SecretResolver, destination: SecretDestination): string {
  let value: string;
  try {
    value = resolveSecret(ref, destination);
  } catch (error) {
    if (error instanceof SecretPolicyError) throw error;
    throw new SourceReadError(`cannot authenticate to the HR system: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (/[\r\n]/.test(value)) throw new SourceReadError(`the secret in ${describeSecretRef(ref)} spans several lines; a header value must be one line`);
  return value;
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * The request headers that authenticate one request to `url`; resolved per request (each page, each redirect), so a
 * secret is checked against every host it would reach and a missing secret fails the read, not the config load.
 */
export function authHeaders(auth: RestAuth, resolveSecret: SecretResolver, url: string | URL): Record<string, string> {
  switch (auth.type) {
    case 'none':
      return {};
    case 'bearer':
      return { Authorization: `Bearer ${headerSecret(auth.token, resolveSecret, { url, field: 'source.auth.token' })}` };
    case 'basic':
      return { Authorization: basicAuthorization(auth.username, headerSecret(auth.password, resolveSecret, { url, field: 'source.auth.password' })) };
    case 'apiKey':
      return { [auth.header]: headerSecret(auth.key, resolveSecret, { url, field: 'source.auth.key' }) };
  }
}
