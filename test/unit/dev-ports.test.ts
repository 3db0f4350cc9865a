import { portOrFree } from '../../devserver/ports';

/**
 * `npm start` asks for the UI at the dev server's port + 1000; with the dev server on a port the OS picked (macOS hands
 * out ports up to 65535), that can be past the last TCP port. The preferred port is then taken as busy and a free one
 * picked, instead of listen() throwing out of the promise.
 */
describe('portOrFree', () => {
  it.each([65_536, 66_233, -1, 1.5])('takes %s as no port and picks a free one', async (preferred) => {
    const port = await portOrFree(preferred);
    expect(Number.isInteger(port)).toBe(true);
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThanOrEqual(65_535);
  });
});
