import net from 'node:net';

/** A TCP relay between a client under test and a real server: `cut()` simulates the network between them going away. */
export interface TcpRelay {
  /** `127.0.0.1:<port>`: where the client connects instead of the server. */
  address: string;
  /** Closes the relay and every connection through it (the server is untouched); calling it again is harmless. */
  cut(): Promise<void>;
}

/** A TCP relay to `target` (`host:port`) on a free loopback port. */
export async function startRelay(target: string): Promise<TcpRelay> {
  const [host = '127.0.0.1', port = '7233'] = target.split(/:(?=\d+$)/);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: relayPort } = server.address() as net.AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${relayPort}`,
    async cut() {
      closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
