import { hostMatches, isHostPattern, secretPolicyFromEnv } from '../../config/secret';
import { egressProxyFromEnv, NO_PROXY_VARIABLE, PROXY_VARIABLE, tunnelsThrough } from '../../net/egress-proxy';
import { readWorkerEnvironment } from '../../worker/environment';

/**
 * A host with a port (`10.0.0.5:8443`) is not an IP address: it never matches a request's host, so accepting it would
 * leave a secret binding that never applies and a PEAKON_SYNC_NO_PROXY entry that never bypasses. Refused at start.
 */
describe('host patterns are IP addresses, never IP:port', () => {
  it('accepts IPv4 and IPv6 addresses, bracketed IPv6 too, and refuses any of them with a port', () => {
    for (const host of ['10.0.0.5', '::1', '2001:db8::1', '[2001:db8::1]', '[::1]', 'fe80::1']) expect({ host, ok: isHostPattern(host) }).toEqual({ host, ok: true });
    for (const host of ['10.0.0.5:8443', '[2001:db8::1]:8443', '::1]:80', ':', '::::', 'abc:def']) expect({ host, ok: isHostPattern(host) }).toEqual({ host, ok: false });
  });

  it('PEAKON_SYNC_SECRET_HOSTS refuses IP:port, naming it, and the worker does not start', () => {
    expect(() => secretPolicyFromEnv({ PEAKON_SYNC_SECRET_HOSTS: 'HR_TOKEN=10.0.0.5:8443' })).toThrow(/PEAKON_SYNC_SECRET_HOSTS: "10\.0\.0\.5:8443" \(for HR_TOKEN\) is not a host name.*no ports/);
    expect(() => readWorkerEnvironment({ PEAKON_SYNC_SECRET_HOSTS: 'HR_TOKEN=10.0.0.5:8443' })).toThrow(/PEAKON_SYNC_SECRET_HOSTS/);
    // IP addresses themselves still bind, bracketed IPv6 included, and match the URL's host.
    const policy = secretPolicyFromEnv({ PEAKON_SYNC_SECRET_HOSTS: 'HR_TOKEN=10.0.0.5,[2001:db8::1]' });
    const hosts = policy.bindings.get('HR_TOKEN') ?? [];
    expect(hosts.some((pattern) => hostMatches(pattern, new URL('https://10.0.0.5:8443/x').hostname))).toBe(true);
    expect(hosts.some((pattern) => hostMatches(pattern, new URL('https://[2001:db8::1]:8443/x').hostname))).toBe(true);
  });

  it('PEAKON_SYNC_NO_PROXY refuses IP:port, and the worker does not start', () => {
    expect(() => egressProxyFromEnv({ [PROXY_VARIABLE]: 'http://proxy.corp:3128', [NO_PROXY_VARIABLE]: 'hr.corp.example,10.0.0.5:8443' })).toThrow(/PEAKON_SYNC_NO_PROXY: "10\.0\.0\.5:8443" is not .*no ports/);
    expect(() => readWorkerEnvironment({ [NO_PROXY_VARIABLE]: '10.0.0.5:8443' })).toThrow(/PEAKON_SYNC_NO_PROXY/);
    const proxy = egressProxyFromEnv({ [PROXY_VARIABLE]: 'http://proxy.corp:3128', [NO_PROXY_VARIABLE]: '10.0.0.5 [2001:db8::1]' });
    if (!proxy) throw new Error('expected a proxy');
    expect(tunnelsThrough(proxy, '10.0.0.5')).toBe(false);
    expect(tunnelsThrough(proxy, new URL('https://[2001:db8::1]:8443/').hostname)).toBe(false);
    expect(tunnelsThrough(proxy, '10.0.0.6')).toBe(true);
  });
});
