import type { RunningDevServer } from '../../devserver/dev-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __temporalDevServer?: RunningDevServer }).__temporalDevServer;
  await server?.stop();
}
