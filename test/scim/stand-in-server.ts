import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

/**
 * A minimal scripted HTTP server for responses the Peakon-compatible sandbox is deliberately too well-behaved to
 * produce (non-JSON 200 bodies, ignored filters, duplicate matches, redirects, repeated pages). Everything a real
 * Peakon tenant can do is tested against the sandbox instead.
 */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface StandInServer {
  origin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type ScriptedHandler = (request: RecordedRequest, response: ServerResponse) => void;

export async function startStandInServer(handler: ScriptedHandler): Promise<StandInServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((incoming, response) => {
    let body = '';
    incoming.setEncoding('utf8');
    incoming.on('data', (chunk: string) => (body += chunk));
    incoming.on('end', () => {
      const recorded = { method: incoming.method ?? '', url: incoming.url ?? '', headers: incoming.headers, body };
      requests.push(recorded);
      handler(recorded, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('stand-in server has no TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/scim+json', ...headers });
  response.end(JSON.stringify(body));
}

export function scimUser(id: string, userName = `${id}@acme.com`, extra: Record<string, unknown> = {}) {
  return { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id, userName, ...extra };
}

export function listResponse(users: unknown[], totalResults: number, startIndex: number) {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults,
    startIndex,
    itemsPerPage: users.length,
    Resources: users,
  };
}
