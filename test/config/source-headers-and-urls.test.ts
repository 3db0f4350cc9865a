import { BambooHrSourceConfigSchema, RestSourceConfigSchema } from '../../hris/config';
import { configErrorOf, MINIMAL_CONFIG } from './config-fixtures';

/**
 * What the config schema refuses in an HTTP source's headers and URLs, each named by its setting, so a config that no
 * read could ever use fails where it is written instead of at every run (as "network error", or a refusal at runtime):
 * headers the HTTP connection sets itself (Host would also be the name a TLS certificate is checked against), header
 * names that are no RFC 9110 token, header values no request can carry, and URL schemes other than http(s).
 */
const restWith = (source: Record<string, unknown>) => ({ ...MINIMAL_CONFIG, source: { type: 'rest', url: 'https://api.hrvendor.com/v1/employees', ...source } });

describe('source.headers and source.auth.header: only headers a request may carry', () => {
  it.each(['Host', 'host', 'HOST', 'Connection', 'Content-Length', 'Transfer-Encoding', 'TE', 'te', 'Upgrade', 'Keep-Alive', 'Proxy-Connection', 'Trailer'])(
    'refuses %s in source.headers, naming the setting',
    (name) => {
      const message = configErrorOf(restWith({ headers: { [name]: 'api.elsewhere.example' } }));
      expect(message).toContain(`source.headers.${name}: header "${name}" in source.headers is set by the HTTP connection, not the config`);
      expect(message).toContain('remove it');
      expect(message).not.toContain('api.elsewhere.example');
    },
  );

  it('says why Host is refused: the host and the TLS name are those of the URL', () => {
    expect(configErrorOf(restWith({ headers: { Host: 'api.elsewhere.example' } }))).toContain('the host is that of the URL, and the name its TLS certificate is checked against');
  });

  it.each(['X Foo', 'X-Foo:', 'X-Föö', '', 'X-Foo\r\nX-Evil', '(X-Foo)'])('refuses the malformed header name %j in source.headers', (name) => {
    const message = configErrorOf(restWith({ headers: { [name]: 'v4lue-n0t-sh0wn' } }));
    expect(message).toContain(`source.headers.${name}: "${name}" in source.headers is not a valid HTTP header name`);
    expect(message).not.toContain('v4lue-n0t-sh0wn');
  });

  it.each([
    ['a line break', 'tenant-7\r\nX-Injected: 1'],
    ['a bare LF', 'tenant-7\nsecond line'],
    ['NUL', 'tenant-7\u0000'],
    ['another control character', 'tenant-7\u0007'],
    ['a character beyond Latin-1', 'tenant-7 €'],
  ])('refuses a header value with %s, naming the header but never quoting the value', (_, value) => {
    const message = configErrorOf(restWith({ headers: { 'X-Tenant': value } }));
    expect(message).toContain('source.headers.X-Tenant: the value holds a line break, NUL or other control character, or a character beyond Latin-1, which a header value cannot (value not shown)');
    expect(message).not.toContain('tenant-7');
  });

  it.each(['X API Key', 'X-Api-Key:', ''])('refuses the malformed apiKey header name %j in source.auth.header', (header) => {
    const message = configErrorOf(restWith({ auth: { type: 'apiKey', header, key: { env: 'HR_KEY' } } }));
    expect(message).toContain(`source.auth.header: "${header}" in source.auth.header is not a valid HTTP header name`);
  });

  it('refuses Host as the apiKey header too', () => {
    expect(configErrorOf(restWith({ auth: { type: 'apiKey', header: 'Host', key: { env: 'HR_KEY' } } }))).toContain(
      'source.auth.header: header "Host" in source.auth.header is set by the HTTP connection, not the config',
    );
  });

  it('control: ordinary header names and values, tab and Latin-1 included, and the usual apiKey headers are kept', () => {
    const config = RestSourceConfigSchema.parse({
      type: 'rest',
      url: 'https://api.hrvendor.com/v1/employees',
      headers: { 'X-Tenant': 'acme\tnord', 'Accept-Language': 'de-CH, fr;q=0.8', "X-Odd!#$%&'*+.^_`|~": 'Zürich', 'X-Empty': '' },
      auth: { type: 'apiKey', header: 'Ocp-Apim-Subscription-Key', key: { env: 'HR_KEY' } },
    });
    expect(Object.keys(config.headers)).toEqual(['X-Tenant', 'Accept-Language', "X-Odd!#$%&'*+.^_`|~", 'X-Empty']);
    expect(RestSourceConfigSchema.parse({ type: 'rest', url: 'https://h.example/api', auth: { type: 'apiKey', key: { env: 'HR_KEY' } } }).auth).toEqual({
      type: 'apiKey',
      header: 'X-API-Key',
      key: { env: 'HR_KEY' },
    });
  });
});

describe('source.url and source.baseUrl: http(s) only', () => {
  it.each(['file:///etc/passwd', 'ftp://hr.example.com/employees.json', 'gopher://hr.example.com/1', 'data:application/json,[]'])('refuses %s as source.url (rest)', (url) => {
    const scheme = new URL(url).protocol;
    expect(configErrorOf(restWith({ url }))).toContain(`source.url: ${scheme} is not supported: use https:// (or http://)`);
  });

  it.each(['file:///srv/bamboohr', 'ftp://api.bamboohr.com/api/gateway.php/acme'])('refuses %s as source.baseUrl (bamboohr)', (baseUrl) => {
    const message = configErrorOf({ ...MINIMAL_CONFIG, source: { type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl } });
    expect(message).toContain(`source.baseUrl: ${new URL(baseUrl).protocol} is not supported: use https:// (or http://)`);
  });

  it('control: https, http to loopback, and http to another host (left to the worker and PEAKON_SYNC_ALLOW_INSECURE_HTTP) are accepted', () => {
    for (const url of ['https://api.hrvendor.com/v1/employees', 'HTTPS://api.hrvendor.com/v1', 'http://127.0.0.1:8080/api', 'http://hr.internal.example/api']) {
      expect(RestSourceConfigSchema.safeParse({ type: 'rest', url }).success).toBe(true);
      expect(BambooHrSourceConfigSchema.safeParse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'K' }, baseUrl: url }).success).toBe(true);
    }
  });
});
