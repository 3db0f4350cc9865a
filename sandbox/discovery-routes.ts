import { Router } from 'express';
import { notFound, ScimHttpError, sendScim } from './errors';
import { listResponse, schemaResources, serviceProviderConfig, userResourceType } from './discovery';
import type { TenantAttribute } from './tenant-schema';

export interface DiscoveryDeps {
  tenantSchema: readonly TenantAttribute[];
  pageSizeCap: number;
  baseUrl(): string;
}

/** RFC 7644 §4 discovery endpoints; the Peakon extension schema is generated from the tenant's attributes. */
export function discoveryRouter(deps: DiscoveryDeps): Router {
  const router = Router({ caseSensitive: false });

  router.get('/ServiceProviderConfig', (_req, res) => {
    sendScim(res, 200, serviceProviderConfig(deps.pageSizeCap, deps.baseUrl()));
  });

  router.get('/Schemas', (_req, res) => {
    sendScim(res, 200, listResponse(schemaResources(deps.tenantSchema, deps.baseUrl())));
  });

  router.get('/Schemas/:id', (req, res) => {
    const schema = schemaResources(deps.tenantSchema, deps.baseUrl()).find((candidate) => candidate.id === req.params.id);
    if (!schema) throw notFound(`schema ${req.params.id} not found`);
    sendScim(res, 200, schema);
  });

  router.get('/ResourceTypes', (_req, res) => {
    sendScim(res, 200, listResponse([userResourceType(deps.baseUrl())]));
  });

  router.get('/ResourceTypes/:id', (req, res) => {
    if (req.params.id !== 'User') throw notFound(`resource type ${req.params.id} not found; Peakon only has User`);
    sendScim(res, 200, userResourceType(deps.baseUrl()));
  });

  // RFC 7644 §4: discovery endpoints are read-only, so other methods are 405 rather than "no such endpoint".
  router.all(['/ServiceProviderConfig', '/Schemas', '/Schemas/:id', '/ResourceTypes', '/ResourceTypes/:id'], (req) => {
    throw new ScimHttpError(405, `${req.method} is not allowed on ${req.path}; discovery endpoints are read-only`);
  });

  return router;
}
