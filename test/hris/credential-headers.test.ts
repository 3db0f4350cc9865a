import { isCredentialHeader, RestSourceConfigSchema } from '../../hris/config';

/**
 * `source.headers` is written in the config, which reaches workflow history and `schedule update`: a header that
 * carries a key is refused there and belongs in `source.auth` (its secret only a reference).
 */
describe('REST source.headers: credential-looking names are refused, harmless ones kept', () => {
  const parse = (headers: Record<string, string>) => RestSourceConfigSchema.safeParse({ type: 'rest', url: 'https://hr.example.com/api', headers });

  it.each([
    'Ocp-Apim-Subscription-Key', // Azure API Management
    'ocp-apim-subscription-key',
    'X-Auth-Key',
    'X-Access-Key',
    'X-AccessKey',
    'X-ACCESSKEY',
    'X-Api-Secret',
    'X-Api-Key',
    'Api_Key',
    'X-Client-Key',
    'Key',
    'X-Auth',
    'X-Authorization',
    'Authorization',
    'X-Auth-Token',
    'X-Credentials',
    'X-Passwd',
  ])('refuses %s, pointing to source.auth without repeating the value', (name) => {
    expect(isCredentialHeader(name)).toBe(true);
    const result = parse({ [name]: 'v4lue-n0t-sh0wn' });
    expect(result.success).toBe(false);
    const message = result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n') ?? '';
    expect(message).toContain(`headers.${name}: header "${name}" would carry a credential written in the config: use source.auth instead`);
    expect(message).toContain(`{ type: apiKey, header: "${name}", key }`);
    expect(message).not.toContain('v4lue-n0t-sh0wn');
  });

  it.each(['X-Keyboard-Layout', 'Accept', 'Accept-Language', 'X-Client', 'X-Tenant-Scope', 'X-Auth-Email', 'X-Authored-By', 'X-Monkey-Id', 'X-Keys-Sorted', 'User-Agent', 'X-Subscription-Id'])(
    'keeps %s',
    (name) => {
      expect(isCredentialHeader(name)).toBe(false);
      expect(parse({ [name]: 'x' }).success).toBe(true);
    },
  );

  it('takes such a key in source.auth instead', () => {
    const config = RestSourceConfigSchema.parse({ type: 'rest', url: 'https://hr.example.com/api', auth: { type: 'apiKey', header: 'Ocp-Apim-Subscription-Key', key: { env: 'APIM_KEY' } } });
    expect(config.auth).toEqual({ type: 'apiKey', header: 'Ocp-Apim-Subscription-Key', key: { env: 'APIM_KEY' } });
  });
});
