import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * `IP:PORT` (`0.0.0.0:9464`, `127.0.0.1:9464`, `[::]:9464`): the SDK's Prometheus exporter binds a socket address and
 * refuses host names (even `localhost`) with an opaque message, so this is checked before the worker starts.
 */
export const MetricsAddressSchema = z.string().superRefine((address, context) => {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  const ipVersion = host === undefined ? 0 : isIP(host);
  if (!match || ipVersion === 0 || (ipVersion === 6) !== (match[1] !== undefined) || !(port >= 1 && port <= 65_535)) {
    context.addIssue({ code: 'custom', message: `expected IP:PORT to serve Prometheus metrics on, e.g. 0.0.0.0:9464, 127.0.0.1:9464 or [::]:9464 (an IP address, not a host name), got "${address}"` });
  }
});
