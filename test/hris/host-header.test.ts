import { RestSourceConfigSchema, type RestSourceConfig } from '../../hris/config';
import { createSource } from '../../hris';
import { readAllRecords } from '../../hris/source';
import type { SecretRef } from '../../config/secret';
import { useTestServers } from './http-server';

/**
 * The second layer behind the config schema's refusal of a `Host` header (test/config/source-headers-and-urls.test.ts):
 * whatever headers reach the HTTP layer, the request carries the Host its URL gives. Node's agent takes a Host header
 * as the name it checks an https server's certificate against (and sends as SNI), so a Host from the config would send
 * a token bound to one host through a TLS session checked for another. Over plain http to a loopback server the Host
 * the server receives shows which one was sent.
 */

const { serve } = useTestServers();
const people = [{ id: 'E1' }, { id: 'E2' }];
const resolveSecret = (ref: SecretRef): string => {
  if ('env' in ref && ref.env === 'HR_TOKEN') return 'b34rer-t0ken-value';
  throw new Error(`no secret ${JSON.stringify(ref)}`);
};

const read = (config: RestSourceConfig) => readAllRecords(createSource(config, { resolveSecret, sleep: async () => undefined }));

describe('REST source: the Host header is always the URL\'s', () => {
  it('sends the URL\'s Host even when source.headers (past the schema, e.g. an old workflow argument) holds another', async () => {
    const api = await serve(() => ({ body: people }));
    const parsed = RestSourceConfigSchema.parse({ type: 'rest', url: `${api.origin}/api/employees`, auth: { type: 'bearer', token: { env: 'HR_TOKEN' } } });
    const config: RestSourceConfig = { ...parsed, headers: { Host: 'api.elsewhere.example', 'X-Tenant': 'acme' } };
    expect(await read(config)).toEqual(people);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]?.headers.host).toBe(new URL(api.origin).host);
    // The other headers still go.
    expect(api.requests[0]?.headers['x-tenant']).toBe('acme');
    expect(api.requests[0]?.headers.authorization).toBe('Bearer b34rer-t0ken-value');
  });

  it('drops a host header in any letter case, an apiKey header named so included', async () => {
    const api = await serve(() => ({ body: people }));
    const parsed = RestSourceConfigSchema.parse({ type: 'rest', url: `${api.origin}/api/employees` });
    expect(await read({ ...parsed, headers: { hOsT: 'api.elsewhere.example' } })).toEqual(people);
    expect(await read({ ...parsed, auth: { type: 'apiKey', header: 'HOST', key: { env: 'HR_TOKEN' } } })).toEqual(people);
    expect(api.requests.map((request) => request.headers.host)).toEqual([new URL(api.origin).host, new URL(api.origin).host]);
  });
});
