import { ConfigError, parseConfig } from '../../config/load';

/** The smallest config the schema accepts: every other setting takes its default. */
export const MINIMAL_CONFIG = {
  tenant: 'demo',
  peakon: { baseUrl: 'http://127.0.0.1:8088/scim/v2' },
  source: { type: 'csv', path: 'hr.csv' },
  mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last' },
};

/** The message `parseConfig` rejects `raw` with; fails the test if it accepts it. */
export function configErrorOf(raw: unknown): string {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
