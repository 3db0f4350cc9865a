import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ScimHttpError, sendScimError } from './errors';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Peakon's static bearer token, required on every request. Digests are compared so the check takes the same time
 * whatever the length of a wrong token; the token itself is never logged nor echoed in an error.
 */
export function requireBearerToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    const presented = match?.[1]?.trim();
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer realm="peakon-sandbox"');
    sendScimError(res, new ScimHttpError(401, presented === undefined ? 'missing Authorization: Bearer token' : 'invalid bearer token'));
  };
}
