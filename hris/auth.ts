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

/** Request headers that authenticate, and the secret texts in them as a server could echo them back. */
export interface AuthenticatedHeaders {
  headers: Record<string, string>;
  /** Redacted from every server text a message quotes (hris/http.ts); never empty strings. */
  secrets: string[];
}

/**
 * Basic auth. `secret` is whichever of the two is the secret (BambooHR's key is the user name); a server may echo the
 * encoded pair as well as the secret itself, so both are listed.
 */
export function basicAuth(username: string, password: string, secret: string): AuthenticatedHeaders {
  const encoded = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  return { headers: { Authorization: `Basic ${encoded}` }, secrets: [secret, encoded] };
}

/**
 * The request headers that authenticate one request to `url`; resolved per request (each page, each redirect), so a
 * secret is checked against every host it would reach and a missing secret fails the read, not the config load.
 */
export function authHeaders(auth: RestAuth, resolveSecret: SecretResolver, url: string | URL): AuthenticatedHeaders {
  switch (auth.type) {
    case 'none':
      return { headers: {}, secrets: [] };
    case 'bearer': {
      const token = headerSecret(auth.token, resolveSecret, { url, field: 'source.auth.token' });
      return { headers: { Authorization: `Bearer ${token}` }, secrets: [token] };
    }
    case 'basic': {
      const password = headerSecret(auth.password, resolveSecret, { url, field: 'source.auth.password' });
      return basicAuth(auth.username, password, password);
    }
    case 'apiKey': {
      const key = headerSecret(auth.key, resolveSecret, { url, field: 'source.auth.key' });
      return { headers: { [auth.header]: key }, secrets: [key] };
    }
  }
}
