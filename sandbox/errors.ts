import type { Response } from 'express';
import { ERROR_SCHEMA } from '../scim/resources';

/** The SCIM media type; every sandbox response uses it, as Peakon does. */
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** RFC 7644 §3.12 scimType values the sandbox answers with. */
export type ScimErrorType = 'invalidValue' | 'invalidSyntax' | 'invalidFilter' | 'uniqueness' | 'mutability' | 'noTarget';

/** A failure that becomes a SCIM error body; thrown by rules, filters and patching, rendered once by the router. */
export class ScimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimErrorType,
  ) {
    super(detail);
    this.name = 'ScimHttpError';
  }
}

export const invalidValue = (detail: string): ScimHttpError => new ScimHttpError(400, detail, 'invalidValue');
export const notFound = (detail: string): ScimHttpError => new ScimHttpError(404, detail);

export function scimErrorBody(status: number, detail: string, scimType?: string): Record<string, unknown> {
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

export function sendScim(res: Response, status: number, body?: unknown): void {
  res.status(status);
  if (body === undefined) {
    res.end();
    return;
  }
  res.type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}

export function sendScimError(res: Response, error: ScimHttpError): void {
  sendScim(res, error.status, scimErrorBody(error.status, error.detail, error.scimType));
}
