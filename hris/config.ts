import { z } from 'zod';
import { SecretRefSchema } from '../config/secret';
import { appendedBaseUrlProblem, httpUrlProblem } from '../config/url';

export const CsvSourceConfigSchema = z.strictObject({
  type: z.literal('csv'),
  path: z.string().min(1).describe('path of the CSV export, relative to the config file'),
  delimiter: z.string().length(1).default(','),
  encoding: z
    .enum(['utf8', 'utf-8', 'windows1252', 'latin1', 'utf16le'])
    .default('utf8')
    .describe(
      "windows1252 for a Windows or Excel 'ANSI' export (smart quotes, €, –); latin1 only for true ISO-8859-1, where bytes 0x80-0x9F are control characters",
    ),
  pageSize: z.number().int().min(1).max(100_000).default(1000).describe('records per page handed to the mapping'),
});
export type CsvSourceConfig = z.infer<typeof CsvSourceConfigSchema>;

/** Bounded retries: 429 (honouring Retry-After), 408/500/502/503/504 and network errors. */
export const RetrySettingsSchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20).default(5),
  baseDelayMs: z.number().int().min(0).default(500),
  /** A Retry-After longer than this fails the read rather than stalling the run. */
  maxDelayMs: z.number().int().min(0).default(60_000),
});
export type RetrySettings = z.infer<typeof RetrySettingsSchema>;

/**
 * An HTTP header name: an RFC 9110 token (§5.1, §5.6.2). A name with a space, colon or other separator passes no
 * HTTP client: refused here, it is a config error naming the setting, not a "network error" on every read.
 */
export const HTTP_TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
const HEADER_NAME = new RegExp(`^${HTTP_TOKEN_CHAR.source}+$`);
/**
 * What Node's HTTP client accepts in a header value: tab, visible ASCII, space and Latin-1 (obs-text). A CR, LF or NUL
 * (or another control character) would split or end the header, so Node refuses the request; refused here instead.
 */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Headers the HTTP connection itself sets, never the config: `Host` is also the name Node checks the TLS certificate
 * of an https request against (and sends as SNI), so a `Host` from the config would send the request, credentials
 * included, through a TLS session checked for another host than the URL's; the others frame or manage the
 * connection (a wrong Content-Length or Transfer-Encoding corrupts the request).
 */
const CONNECTION_HEADER_NAMES = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'te', 'upgrade', 'keep-alive', 'proxy-connection', 'trailer']);

/**
 * What is wrong with a header name written in the config (`where`: `in source.headers`), or undefined. The name is
 * quoted (a header name is no secret), the value never.
 */
function headerNameProblem(name: string, where: string): string | undefined {
  if (!HEADER_NAME.test(name)) {
    return `"${name}" ${where} is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only: no spaces, colons or other separators)`;
  }
  if (CONNECTION_HEADER_NAMES.has(name.toLowerCase())) {
    const why = name.toLowerCase() === 'host' ? 'the host is that of the URL, and the name its TLS certificate is checked against' : 'it frames or manages the connection';
    return `header "${name}" ${where} is set by the HTTP connection, not the config (${why}): remove it`;
  }
  return undefined;
}

/** What a header value with a character no header value can hold is told; the value itself is never quoted (it may be a secret). */
const HEADER_VALUE_MESSAGE = 'the value holds a line break, NUL or other control character, or a character beyond Latin-1, which a header value cannot (value not shown)';

export const RestAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('bearer'), token: SecretRefSchema }),
  z.strictObject({ type: z.literal('basic'), username: z.string().min(1), password: SecretRefSchema }),
  z.strictObject({
    type: z.literal('apiKey'),
    header: z
      .string()
      .superRefine((name, context) => {
        const problem = headerNameProblem(name, 'in source.auth.header');
        if (problem !== undefined) context.addIssue({ code: 'custom', input: name, message: problem });
      })
      .meta({ pattern: HEADER_NAME.source })
      .default('X-API-Key')
      .describe('request header that carries the key (an HTTP header name; not Host or another header the connection sets)'),
    key: SecretRefSchema,
  }),
]);
export type RestAuth = z.infer<typeof RestAuthSchema>;

export const RestPaginationSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({
    type: z.literal('offset'),
    offsetParam: z.string().min(1).default('offset'),
    limitParam: z.string().min(1).default('limit'),
    pageSize: z.number().int().min(1).default(100),
    firstOffset: z.number().int().min(0).default(0),
  }),
  z.strictObject({
    type: z.literal('page'),
    pageParam: z.string().min(1).default('page'),
    sizeParam: z.string().min(1).optional().describe('query parameter for the page size, if the API takes one'),
    pageSize: z.number().int().min(1).default(100),
    firstPage: z.number().int().min(0).default(1),
  }),
  z.strictObject({
    type: z.literal('cursor'),
    cursorParam: z.string().min(1).default('cursor'),
    cursorPath: z
      .string()
      .min(1)
      .describe(
        'dotted path of the next cursor in the response. null or "" ends the read; so does no key there after a short page (without totalPath, no key there on page 1 (without sizeParam, or shorter than pageSize: an API capping its page size) while the answer holds a next cursor under another key fails the read: a misspelt path). ' +
          'With sizeParam set, a full page (as long as pageSize and as the longest page before it) without the key fails the read, unless the total at totalPath has been read: ' +
          'it is as likely a wrong cursorPath; an API that leaves the cursor out of a last page that happens to be exactly full needs totalPath, or a pageSize that does not leave the last page exactly full',
      ),
    sizeParam: z.string().min(1).optional(),
    pageSize: z.number().int().min(1).default(100),
  }),
  z.strictObject({ type: z.literal('link').describe('follow the `Link: <…>; rel="next"` response header; 3 empty pages in a row end the read (complete only at the total at totalPath)') }),
]);
export type RestPagination = z.infer<typeof RestPaginationSchema>;

/**
 * Header names that carry credentials. `source.headers` is written in the config, which reaches workflow history and
 * `schedule update`, so a credential belongs in `source.auth`, whose secret is only a reference. Query parameter names
 * are not checked: some HR APIs need harmless parameters with such words (query values are still never printed).
 */
const CREDENTIAL_HEADER_NAMES = new Set(['authorization', 'proxy-authorization', 'cookie']);
/** Refused anywhere in the name, even inside a longer word (`X-Tokens`, `X-ClientSecret`, `XAPIKEY`). */
const CREDENTIAL_HEADER_PARTS = ['api-key', 'apikey', 'api_key', 'token', 'secret', 'password', 'passwd', 'credential', 'accesskey', 'authkey', 'subscriptionkey', 'privatekey'];
/**
 * Refused as a whole word of the name (words split at `-`, `_`, `.` and camelCase): `Ocp-Apim-Subscription-Key` (Azure
 * API Management), `X-Auth-Key`, `X-Access-Key`; not inside a longer word (`X-Keyboard-Layout`, `Accept`).
 */
const CREDENTIAL_HEADER_WORD = 'key';
/** Refused as the last word only: `X-Auth`, `X-Forwarded-Authorization`; `X-Auth-Email` beside an apiKey auth is not. */
const CREDENTIAL_HEADER_LAST_WORDS = new Set(['auth', 'authorization']);

export function isCredentialHeader(name: string): boolean {
  const lower = name.trim().toLowerCase();
  if (CREDENTIAL_HEADER_NAMES.has(lower) || CREDENTIAL_HEADER_PARTS.some((part) => lower.includes(part))) return true;
  const words = name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  return words.includes(CREDENTIAL_HEADER_WORD) || CREDENTIAL_HEADER_LAST_WORDS.has(words.at(-1) ?? '');
}

function credentialHeaderMessage(name: string): string {
  return (
    `header "${name}" would carry a credential written in the config: use source.auth instead ` +
    `({ type: bearer, token } for Authorization: Bearer, { type: basic, username, password } for Basic, ` +
    `or { type: apiKey, header: "${name}", key } to send a key in this header; each secret as { env: NAME } or { file: path })`
  );
}

/**
 * A URL an HTTP source reads: http(s), written as `http(s)://host…`, no `user:password@` (config/url.ts
 * httpUrlProblem, as for peakon.baseUrl); `credentialsGo` says where the credential goes instead. A base URL that
 * request paths are appended to (BambooHR's; `baseUrlExample` given) takes no query or fragment either
 * (appendedBaseUrlProblem). The REST source's URL is used whole, its query kept, so it may carry one.
 */
const httpUrlSchema = (credentialsGo: string, baseUrlExample?: string) => z
  .url()
  .superRefine((url, context) => {
    const advice = `: remove "user:password@" and ${credentialsGo}`;
    const problem = baseUrlExample === undefined ? httpUrlProblem(url, advice) : appendedBaseUrlProblem(url, advice, baseUrlExample);
    if (problem !== undefined) context.addIssue({ code: 'custom', input: url, message: problem });
  })
  .meta({ pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' });

export const RestSourceConfigSchema = z.strictObject({
  type: z.literal('rest'),
  url: httpUrlSchema('use source.auth { type: basic, username, password } (the password as { env: NAME } or { file: path })').describe('the URL of the first page, e.g. https://hr.example.com/api/v2/employees (http(s); no user:password@: use auth)'),
  auth: RestAuthSchema.default({ type: 'none' }),
  query: z.record(z.string(), z.string()).default({}).describe('extra query parameters sent with every page (with pagination type link, with the first page only: later pages are requested as the Link header names them, query included)'),
  headers: z
    .record(z.string(), z.string().regex(HEADER_VALUE, HEADER_VALUE_MESSAGE))
    .meta({ propertyNames: { type: 'string', pattern: HEADER_NAME.source } })
    .superRefine((headers, context) => {
      for (const name of Object.keys(headers)) {
        const problem = headerNameProblem(name, 'in source.headers') ?? (isCredentialHeader(name) ? credentialHeaderMessage(name) : undefined);
        if (problem !== undefined) context.addIssue({ code: 'custom', path: [name], input: name, message: problem });
      }
    })
    .default({})
    .describe(
      'extra request headers (HTTP header names; values on one line), never credentials: Authorization, Proxy-Authorization, Cookie, names with api-key, apikey, api_key, token, secret, password, passwd or credential, names with the word key (X-Auth-Key, Ocp-Apim-Subscription-Key) and names ending in auth or authorization are refused (use auth); ' +
        'so are the headers the connection sets: Host, Connection, Content-Length, Transfer-Encoding, TE, Upgrade, Keep-Alive, Proxy-Connection and Trailer',
    ),
  recordsPath: z.string().default('').describe('dotted path of the records array in the response; empty when the body is the array'),
  totalPath: z.string().min(1).optional().describe('dotted path of the announced total; fewer records than that fails the read'),
  pagination: RestPaginationSchema.default({ type: 'none' }).describe(
    'how the read follows pages; none (the default) is one request, and fails when the answer has a Link rel="next" header (set { type: link } for that) or a next-page key beside the records (next, next_cursor, nextCursor, nextPageToken, next_page, links.next, has_more/hasMore: true)',
  ),
  timeoutMs: z.number().int().positive().default(30_000).describe('idle timeout of a request: the longest silence allowed while waiting for or reading an answer'),
  totalTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe(
      "total deadline of one request (each page, each retry), however steadily bytes arrive; the read heartbeats while it waits, so the bound is the plan activity's start-to-close timeout (2 h by default), which the whole read, every page and retry, must fit in",
    ),
  retry: RetrySettingsSchema.default(RetrySettingsSchema.parse({})),
  /** A runaway paginator (a cursor that never ends) must not read forever. */
  maxPages: z.number().int().min(1).default(10_000),
});
export type RestSourceConfig = z.infer<typeof RestSourceConfigSchema>;

export const BambooHrSourceConfigSchema = z.strictObject({
  type: z.literal('bamboohr'),
  companyDomain: z.string().regex(/^[a-z0-9-]+$/i, 'the company subdomain, e.g. "acme" for acme.bamboohr.com'),
  apiKey: SecretRefSchema.describe('BambooHR API key (sent as the basic-auth user name)'),
  baseUrl: httpUrlSchema('give the API key as source.apiKey ({ env: NAME } or { file: path })', 'https://api.bamboohr.com/api/gateway.php/acme')
    .optional()
    .describe('default https://api.bamboohr.com/api/gateway.php/{companyDomain} (http(s); no query or fragment: request paths are appended)'),
  read: z
    .enum(['customReport', 'directory'])
    .default('customReport')
    .describe('customReport requests exactly the fields the mapping needs; directory is the fixed employee directory'),
  fields: z.array(z.string().min(1)).default([]).describe('extra BambooHR fields to request besides those the mapping uses'),
  // BambooHR's own documentation and its integrators disagree on what true leaves out (terminated employees, or only
  // future-dated values of history fields): false, the safe reading, keeps leavers in the read either way.
  onlyCurrent: z.boolean().default(false).describe('custom report: true may leave out terminated employees (false keeps leavers visible; it may also return future-dated values of history fields)'),
  timeoutMs: z.number().int().positive().default(30_000).describe('idle timeout of a request: the longest silence allowed while waiting for or reading an answer'),
  totalTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(90_000)
    .describe(
      "total deadline of one request (the whole report is one answer), however steadily bytes arrive; the read heartbeats while it waits, so the bound is the plan activity's start-to-close timeout (2 h by default), which the whole read, every retry, must fit in",
    ),
  retry: RetrySettingsSchema.default(RetrySettingsSchema.parse({})),
});
export type BambooHrSourceConfig = z.infer<typeof BambooHrSourceConfigSchema>;

export const SourceConfigSchema = z.discriminatedUnion('type', [
  CsvSourceConfigSchema,
  RestSourceConfigSchema,
  BambooHrSourceConfigSchema,
]);
export type SourceConfig = z.infer<typeof SourceConfigSchema>;
