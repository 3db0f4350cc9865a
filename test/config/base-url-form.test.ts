import { parseConfig } from '../../config/load';
import { BambooHrSourceConfigSchema, RestSourceConfigSchema } from '../../hris/config';
import { ScimClientSettingsSchema } from '../../scim/client';
import { configErrorOf, MINIMAL_CONFIG } from './config-fixtures';

/**
 * A URL the parser reads as https://host but that is not written so ("https:host", "https:/host") passed z.url(), yet the SCIM client refuses it ("must be an absolute http(s) URL"): `sync`, `schedule create` and
 * `validate --no-preflight` took a config whose every run failed. And BambooHR's source.baseUrl, which request paths
 * are appended to like peakon.baseUrl, took a query or fragment (with "#", every request went to the base's own path).
 * The config now refuses both where they are written, naming the field.
 */
const peakonAt = (baseUrl: string) => ({ ...MINIMAL_CONFIG, peakon: { baseUrl } });
const bambooAt = (baseUrl: string) => ({ ...MINIMAL_CONFIG, source: { type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl } });
const restAt = (url: string) => ({ ...MINIMAL_CONFIG, source: { type: 'rest', url } });

const NOT_WRITTEN_OUT = ['https:acme.peakon.com/scim/v2', 'https:/acme.peakon.com/scim/v2', 'https:///acme.peakon.com/scim/v2', 'https:\\\\acme.peakon.com/scim/v2', 'HTTP:127.0.0.1:8088/scim/v2'];
const ORDINARY = ['https://api.peakon.com/scim/v2', 'https://acme.peakon.com/api/scim/v2/', 'https://acme.peakon.com:8443/scim/v2', 'HTTPS://api.peakon.com/scim/v2', 'http://127.0.0.1:8088/scim/v2', 'http://localhost:8088/', 'https://api.peakon.com'];
const FORM_MESSAGE = 'must be an absolute http(s) URL written as https://host/… (or http://host/…): nothing before it, two slashes after the colon';

describe('peakon.baseUrl: written as http(s)://host…, as the SCIM client requires', () => {
  it.each(NOT_WRITTEN_OUT)('refuses %j, naming the field (and the SCIM client refuses it too)', (baseUrl) => {
    expect(configErrorOf(peakonAt(baseUrl))).toContain(`peakon.baseUrl: ${FORM_MESSAGE}`);
    expect(ScimClientSettingsSchema.safeParse({ baseUrl, token: 't' }).success).toBe(false);
  });

  it.each(ORDINARY)('control: accepts %s, and so does the SCIM client', (baseUrl) => {
    expect(parseConfig(peakonAt(baseUrl)).peakon.baseUrl).toBe(baseUrl);
    expect(ScimClientSettingsSchema.safeParse({ baseUrl, token: 't' }).success).toBe(true);
  });

  it.each([' https://acme.peakon.com/scim/v2', '\thttps://acme.peakon.com/scim/v2 '])('control: %j is accepted as the URL without its blanks (z.url() trims), which the SCIM client accepts', (baseUrl) => {
    const parsed = parseConfig(peakonAt(baseUrl)).peakon.baseUrl;
    expect(parsed).toBe('https://acme.peakon.com/scim/v2');
    expect(ScimClientSettingsSchema.safeParse({ baseUrl: parsed, token: 't' }).success).toBe(true);
  });
});

describe('BambooHR source.baseUrl: the rule of peakon.baseUrl (request paths are appended to it)', () => {
  it.each([
    'https://api.bamboohr.com/api/gateway.php/acme?x=1',
    'https://api.bamboohr.com/api/gateway.php/acme?',
    'https://api.bamboohr.com/api/gateway.php/acme#reports',
    'https://api.bamboohr.com/api/gateway.php/acme#',
  ])('refuses %s, naming the field', (baseUrl) => {
    expect(configErrorOf(bambooAt(baseUrl))).toContain(
      'source.baseUrl: request paths are appended to the base URL: remove the "?…" or "#…" part (e.g. https://api.bamboohr.com/api/gateway.php/acme)',
    );
  });

  it.each(['https:api.bamboohr.com/api/gateway.php/acme', 'https:/api.bamboohr.com/api/gateway.php/acme'])('refuses %j, naming the field', (baseUrl) => {
    expect(configErrorOf(bambooAt(baseUrl))).toContain(`source.baseUrl: ${FORM_MESSAGE}`);
  });

  it.each(['https://api.bamboohr.com/api/gateway.php/acme', 'https://api.bamboohr.com/api/gateway.php/acme/', 'http://127.0.0.1:8090/api/gateway.php/acme', 'https://bamboo-proxy.example:8443'])(
    'control: accepts %s',
    (baseUrl) => {
      expect(BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'K' }, baseUrl }).baseUrl).toBe(baseUrl);
    },
  );
});

describe('REST source.url: written as http(s)://host…; used whole, so a query stays allowed', () => {
  it.each(['https:hr.example.com/api/v2/employees', 'https:/hr.example.com/api/v2/employees'])('refuses %j, naming the field', (url) => {
    expect(configErrorOf(restAt(url))).toContain(`source.url: ${FORM_MESSAGE}`);
  });

  it.each(['https://hr.example.com/api/v2/employees?status=active', 'https://hr.example.com:8443/api/v2/employees/', 'http://127.0.0.1:8080/api'])('control: accepts %s', (url) => {
    expect(RestSourceConfigSchema.parse({ type: 'rest', url }).url).toBe(url);
  });
});
