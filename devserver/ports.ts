import net from 'node:net';

/** The highest TCP port: `preferred + 1000` (the UI beside a dev server on an OS-picked port) may be past it. */
const MAX_PORT = 65_535;

function tryListen(port: number): Promise<number | undefined> {
  // listen() throws (ERR_SOCKET_BAD_PORT) rather than emitting 'error' for a port out of range: no such port is free.
  if (!Number.isInteger(port) || port < 0 || port > MAX_PORT) return Promise.resolve(undefined);
  return new Promise<number | undefined>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** A port nothing listens on right now on 127.0.0.1, picked by the OS. */
export async function freePort(): Promise<number> {
  const port = await tryListen(0);
  if (port === undefined) throw new Error('the OS gave no free TCP port on 127.0.0.1');
  return port;
}

/** `preferred` if nothing listens there on 127.0.0.1, otherwise a free port the OS picks. */
export async function portOrFree(preferred: number): Promise<number> {
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? preferred;
}
