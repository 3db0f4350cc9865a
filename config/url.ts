/** Checks on URLs written in a config, shared by every place that takes one (one rule, one place). */

/** A `user:password@` in a URL: a credential written in the config, so in workflow history and schedules too. */
function hasUserInfo(text: string): boolean {
  try {
    const url = new URL(text);
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
}

/**
 * Whether `text` is an absolute http(s) URL written out as `http(s)://host…`. The URL parser, and so z.url(), also
 * takes "https:host", "https:/host", "https:///host" and "https:\\host", reading each as https://host; the SCIM
 * client's settings (scim/client.ts ScimClientSettingsSchema) require this written form, so a config that passed
 * without it would fail every run. (Blanks around the URL are no matter: z.url() trims them before any check.)
 */
export function isAbsoluteHttpUrl(text: string): boolean {
  return /^https?:\/\/[^/]/i.test(text) && URL.canParse(text);
}

/**
 * What is wrong with a URL the connector sends requests to, or undefined: http(s) only (z.url() alone takes file:, ftp:
 * and any other scheme, which every request would then refuse), written as `http(s)://host…` (isAbsoluteHttpUrl), and
 * no `user:password@`, which would sit in the config, workflow history and schedules; `userInfoAdvice` says where the
 * credential goes instead. Plain http to a host that is not loopback is left to the worker (config/secret.ts
 * assertSecureDestination).
 */
export function httpUrlProblem(text: string, userInfoAdvice: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined; // z.url() reports it
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${url.protocol} is not supported: use https:// (or http://)`;
  if (!isAbsoluteHttpUrl(text)) return 'must be an absolute http(s) URL written as https://host/… (or http://host/…): nothing before it, two slashes after the colon';
  if (hasUserInfo(text)) return `a user name or password in the URL would be written in the config${userInfoAdvice}`;
  return undefined;
}

/**
 * What is wrong with a base URL that request paths are appended to as text (a SCIM base URL, BambooHR's source.baseUrl),
 * or undefined: what httpUrlProblem refuses, and a query or fragment, which would end up in the middle of every
 * request's URL (with a `#`, the HTTP client drops the rest, and every request goes to the base URL's own path).
 * `example` is a base URL as it should be written.
 */
export function appendedBaseUrlProblem(text: string, userInfoAdvice: string, example: string): string | undefined {
  const problem = httpUrlProblem(text, userInfoAdvice);
  if (problem !== undefined) return problem;
  // The text, not url.search/url.hash: those are "" for a bare "?" or "#", which would still end up before "/Users".
  if (text.includes('?') || text.includes('#')) return `request paths are appended to the base URL: remove the "?…" or "#…" part (e.g. ${example})`;
  return undefined;
}

/**
 * What is wrong with a SCIM base URL, or undefined (appendedBaseUrlProblem: request paths `/Users`, `/Users/{id}` are
 * appended to it). A `user:password@` would make the HTTP client send Basic auth instead of the Bearer token (every
 * request a 401).
 */
export function scimBaseUrlProblem(text: string): string | undefined {
  return appendedBaseUrlProblem(
    text,
    ' and sent instead of the token: remove "user:password@" (the token goes in peakon.token as { env: NAME } or { file: path })',
    'https://api.peakon.com/scim/v2',
  );
}
