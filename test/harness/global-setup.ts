import { startDevServer } from '../../devserver/dev-server';

/**
 * One Temporal dev server for the whole jest run (the SDK gives a server 5 s to start; one per file would be slow and
 * flaky on two cores). Test files reach it through TEMPORAL_TEST_ADDRESS.
 */
export default async function globalSetup(): Promise<void> {
  const server = await startDevServer();
  (globalThis as { __temporalDevServer?: typeof server }).__temporalDevServer = server;
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  process.env.TEMPORAL_TEST_NAMESPACE = server.namespace;
}
