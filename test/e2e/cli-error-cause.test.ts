/**
 * The CLI's error line carries the reason Temporal gave: the SDK's ServiceError says only what it tried ("Failed to
 * create schedule"); the gRPC status it wraps (`3 INVALID_ARGUMENT: …`, `7 PERMISSION_DENIED: …`) is its cause.
 */
import { Metadata } from '@grpc/grpc-js';
import { ServiceError } from '@temporalio/client';
import { existsSync } from 'node:fs';
import { errorText as cliErrorText } from '../../client/errors';
import { BUILT_CLI, runBuiltCli } from '../harness/cli';
import { devServerAddress } from '../harness/temporal';

/** A gRPC error as grpc-js makes it: a message, a code, details, and the server's trailing metadata. */
function grpcError(code: number, text: string, trailers: Record<string, string> = {}): Error {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(`${code} ${code === 7 ? 'PERMISSION_DENIED' : 'UNAVAILABLE'}: ${text}`), { code, details: text, metadata });
}

describe('the CLI error line (cliErrorText)', () => {
  it("adds the cause chain's messages after the SDK's own", () => {
    const error = new ServiceError('Failed to create schedule', { cause: grpcError(7, 'Request unauthorized.') });
    expect(cliErrorText(error)).toBe('Failed to create schedule: 7 PERMISSION_DENIED: Request unauthorized.');
  });

  it('prints only messages: never a gRPC error’s metadata or other fields, where a server could echo a credential', () => {
    const cause = grpcError(7, 'Request unauthorized.', { authorization: 'Bearer secret-api-key', 'x-echo': 'secret-api-key' });
    const error = new ServiceError('Failed to get Workflow execution history', { cause });
    const text = cliErrorText(error);
    expect(text).toBe('Failed to get Workflow execution history: 7 PERMISSION_DENIED: Request unauthorized.');
    expect(text).not.toContain('secret-api-key');
  });

  it('does not repeat a cause the message already quotes (unlock, connection errors), and stops at a loop', () => {
    const grpc = grpcError(14, 'No connection established');
    const service = new ServiceError('Failed to describe workflow', { cause: grpc });
    const unlockStyle = new Error(`cannot tell whether sync x still runs: Failed to describe workflow: ${grpc.message}; nothing was terminated, try again`, { cause: service });
    expect(cliErrorText(unlockStyle)).toBe(unlockStyle.message);
    const looping = new Error('outer');
    const inner = new Error('inner', { cause: looping });
    looping.cause = inner;
    expect(cliErrorText(looping)).toBe('outer: inner');
    expect(cliErrorText('plain text')).toBe('plain text');
  });
});

describe('peakon-sync against a real Temporal server that refuses a request', () => {
  beforeAll(() => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  it("prints the server's reason after the SDK's \"Failed to …\" (a namespace name the server refuses)", async () => {
    // A namespace name past the server's length limit: the dev server refuses every call (3 INVALID_ARGUMENT), and the
    // SDK wraps that in a ServiceError saying only what it tried. Nothing else is wrong: the server is reachable.
    // Credentials travel as request metadata (an API key as `authorization`): the line never shows any of it.
    const secret = 'Bearer test-secret-not-to-print';
    const environment = { TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'n'.repeat(1500), TEMPORAL_GRPC_META_AUTHORIZATION: secret };
    const unlock = await runBuiltCli(['unlock', 'acme'], environment);
    expect(unlock.exitCode).toBe(1);
    expect(unlock.stderr).toBe('Failed to describe workflow: 3 INVALID_ARGUMENT: Namespace length exceeds limit.\n');
    const status = await runBuiltCli(['status', 'peakon-sync/acme/2026-11-28T02:00:00Z'], environment);
    expect(status.exitCode).toBe(1);
    expect(status.stderr).toBe('Failed to describe workflow: 3 INVALID_ARGUMENT: Namespace length exceeds limit.\n');
    // approve / reject print their own line, `cannot <verb> <id>: …`, with the same reason.
    const approve = await runBuiltCli(['approve', 'peakon-sync/acme/2026-11-28T02:00:00Z'], environment);
    expect(approve.exitCode).toBe(1);
    expect(approve.stderr).toBe('cannot approve peakon-sync/acme/2026-11-28T02:00:00Z: Failed to describe workflow: 3 INVALID_ARGUMENT: Namespace length exceeds limit.\n');
    const reject = await runBuiltCli(['reject', 'peakon-sync/acme/2026-11-28T02:00:00Z'], environment);
    expect(reject.exitCode).toBe(1);
    expect(reject.stderr).toBe('cannot reject peakon-sync/acme/2026-11-28T02:00:00Z: Failed to describe workflow: 3 INVALID_ARGUMENT: Namespace length exceeds limit.\n');
    for (const printed of [unlock, status, approve, reject]) expect(`${printed.stdout}${printed.stderr}`).not.toContain('test-secret-not-to-print');
  }, 60_000);
});
