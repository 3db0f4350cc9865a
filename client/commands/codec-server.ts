import type { Command } from 'commander';
import { z } from 'zod';
import { CODEC_SERVER_TOKEN_VARIABLE, ENCRYPTION_KEY_VARIABLE, readCodecServerToken, readEncryptionKeys } from '../../codec/keys';
import { ALLOW_ENCODE_FLAG, DEFAULT_UI_ORIGINS, startCodecServer, UNAUTHENTICATED_FLAG } from '../../codec/server';
import { isLoopbackHost } from '../../config/secret';
import { payloadStoreResolverFromEnv } from '../../worker/environment';

const CodecServerCommandOptionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1),
  uiOrigin: z.array(z.url({ protocol: /^https?$/, error: 'must be an http(s) origin such as https://cloud.temporal.io' })).default([]),
  unsafeAllowUnauthenticatedDecode: z.boolean().default(false),
  allowEncode: z.boolean().default(false),
});

/**
 * `peakon-sync codec-server --port 8234 [--ui-origin https://cloud.temporal.io]`: lets the Temporal Web UI (and
 * `temporal … --codec-endpoint`) show the connector's encrypted payloads to people who can reach it. Keys come from the
 * same PEAKON_SYNC_ENCRYPTION_* variables as the worker's.
 */
/** Calls `warn` the first time each message comes, not again. */
function warnOnce(warn: (message: string) => void): (message: string) => void {
  const told = new Set<string>();
  return (message) => {
    if (told.has(message)) return;
    told.add(message);
    warn(message);
  };
}

export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description('serve Temporal\'s codec server protocol (POST /decode; /encode with --allow-encode) so the Web UI can show encrypted payloads')
    .requiredOption('-p, --port <port>', 'port to listen on (0 = any free port)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--ui-origin <url>', `a Web UI origin allowed to call from the browser (repeatable; ${DEFAULT_UI_ORIGINS.join(' and ')} always are)`, (value: string, previous: string[] = []) => [...previous, value])
    .option(
      UNAUTHENTICATED_FLAG,
      `UNSAFE: listen on a --host that is not loopback without ${CODEC_SERVER_TOKEN_VARIABLE}; whoever reaches the port decrypts every payload (only behind an authenticating proxy or firewall, or a port published on loopback only)`,
    )
    .option(ALLOW_ENCODE_FLAG, `also serve POST /encode (needs ${CODEC_SERVER_TOKEN_VARIABLE}); the connector and the UI's history views never need it`)
    .action(async (raw: Record<string, unknown>) => {
      const parsed = CodecServerCommandOptionsSchema.safeParse(raw);
      if (!parsed.success) {
        throw new Error(`invalid codec-server options: ${parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      }
      const keys = readEncryptionKeys();
      if (!keys) {
        throw new Error(`no encryption key: set ${ENCRYPTION_KEY_VARIABLE} (or ${ENCRYPTION_KEY_VARIABLE}_FILE) to the key the workers use; without it there is nothing to decode`);
      }
      const bearerToken = readCodecServerToken();
      const server = await startCodecServer({
        port: parsed.data.port,
        host: parsed.data.host,
        keys,
        allowedOrigins: parsed.data.uiOrigin.map((origin) => new URL(origin).origin),
        ...(bearerToken ? { bearerToken } : {}),
        allowUnauthenticatedDecode: parsed.data.unsafeAllowUnauthenticatedDecode,
        allowEncode: parsed.data.allowEncode,
        ...payloadStoreResolverFromEnv(process.env),
        // The store's message names the folder (or bucket) and why a payload may be missing there; no payload content.
        onUnresolvedPayload: (message) => process.stderr.write(`WARNING: a stored payload could not be fetched (the UI shows its reference instead): ${message}\n`),
        // Once per message: the UI asks again for every page it shows, and each message names a key id, so few differ.
        onUndecryptablePayload: warnOnce((message) => process.stderr.write(`WARNING: a payload could not be decrypted (the UI shows it encrypted): ${message}\n`)),
      });
      if (!bearerToken && !isLoopbackHost(parsed.data.host)) {
        // Started only because the operator passed the unsafe flag: say so where logs and terminals show it.
        process.stderr.write(`WARNING: ${UNAUTHENTICATED_FLAG}: no ${CODEC_SERVER_TOKEN_VARIABLE} and listening on ${parsed.data.host}; anyone who reaches ${server.url} can decrypt every payload\n`);
      }
      // Stop signals are handled before the line below says it listens: whoever waits for that line may stop it at once.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      const origins = [...DEFAULT_UI_ORIGINS, ...parsed.data.uiOrigin];
      process.stdout.write(
        `codec server on ${server.url} (key ${keys.current.id}, ${keys.decryptionKeys.size - 1} old key(s); ${bearerToken ? 'bearer token required' : `no token: set ${CODEC_SERVER_TOKEN_VARIABLE} to require one`}; /encode ${parsed.data.allowEncode ? 'on' : 'off'}; UI origins: ${origins.join(', ')})\n`,
      );
      await stopped;
      await server.close();
    });
}
