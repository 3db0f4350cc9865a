import type { Command } from 'commander';
import { z } from 'zod';
import { CODEC_SERVER_TOKEN_VARIABLE, ENCRYPTION_KEY_VARIABLE, readEncryptionKeys } from '../../codec/keys';
import { DEFAULT_UI_ORIGINS, startCodecServer } from '../../codec/server';

const CodecServerCommandOptionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1),
  uiOrigin: z.array(z.url({ protocol: /^https?$/, error: 'must be an http(s) origin such as https://cloud.temporal.io' })).default([]),
});

/**
 * `peakon-sync codec-server --port 8234 [--ui-origin https://cloud.temporal.io]`: lets the Temporal Web UI (and
 * `temporal … --codec-endpoint`) show the connector's encrypted payloads to people who can reach it. Keys come from the
 * same PEAKON_SYNC_ENCRYPTION_* variables as the worker's.
 */
export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description('serve Temporal\'s codec server protocol (POST /encode, /decode) so the Web UI can show encrypted payloads')
    .requiredOption('-p, --port <port>', 'port to listen on (0 = any free port)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--ui-origin <url>', `a Web UI origin allowed to call from the browser (repeatable; ${DEFAULT_UI_ORIGINS.join(' and ')} always are)`, (value: string, previous: string[] = []) => [...previous, value])
    .action(async (raw: Record<string, unknown>) => {
      const parsed = CodecServerCommandOptionsSchema.safeParse(raw);
      if (!parsed.success) {
        throw new Error(`invalid codec-server options: ${parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      }
      const keys = readEncryptionKeys();
      if (!keys) {
        throw new Error(`no encryption key: set ${ENCRYPTION_KEY_VARIABLE} (or ${ENCRYPTION_KEY_VARIABLE}_FILE) to the key the workers use; without it there is nothing to decode`);
      }
      const bearerToken = process.env[CODEC_SERVER_TOKEN_VARIABLE] || undefined;
      const server = await startCodecServer({
        port: parsed.data.port,
        host: parsed.data.host,
        keys,
        allowedOrigins: parsed.data.uiOrigin.map((origin) => new URL(origin).origin),
        ...(bearerToken ? { bearerToken } : {}),
      });
      const origins = [...DEFAULT_UI_ORIGINS, ...parsed.data.uiOrigin];
      process.stdout.write(
        `codec server on ${server.url} (key ${keys.current.id}, ${keys.decryptionKeys.size - 1} old key(s); ${bearerToken ? 'bearer token required' : `no token: set ${CODEC_SERVER_TOKEN_VARIABLE} to require one`}; UI origins: ${origins.join(', ')})\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.close();
    });
}
