/**
 * What the CLI reads of an error: its text with the reasons it wraps, and the gRPC status behind it. One place, so
 * every command says why the same way and none reads more of an error than its messages.
 */

/** How many causes deep {@link errorText} reads (a cause chain could loop, or be long). */
const MAX_CAUSES = 5;

/**
 * An error's message, then the message of each error in its `cause` chain not already in the text, joined by `: `.
 * The Temporal SDK's ServiceError says only what it tried ("Failed to create schedule"); why (`7 PERMISSION_DENIED: …`,
 * `14 UNAVAILABLE: …`, a deadline) is in its cause, the gRPC error.
 *
 * Only `message` is read, of the error and of causes that are Errors: never a gRPC error's `metadata` (the server's
 * trailers) or `details` beyond what its message holds, nor anything of the request (its metadata carries the
 * Temporal API key); the gRPC message is the server's status text, which names no credential this CLI sent.
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let text = error.message;
  const seen = new Set<unknown>([error]);
  let cause: unknown = error.cause;
  for (let depth = 0; depth < MAX_CAUSES && cause instanceof Error && !seen.has(cause); depth += 1) {
    seen.add(cause);
    const message = cause.message.trim();
    // A message that already quotes its cause (`cannot reach Temporal at …: <cause>`) is not repeated.
    if (message !== '' && !text.includes(message)) text = text === '' ? message : `${text}: ${message}`;
    cause = cause.cause;
  }
  return text;
}

/** gRPC status codes the CLI tells apart (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GrpcStatus = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, PERMISSION_DENIED: 7, FAILED_PRECONDITION: 9, UNAUTHENTICATED: 16 } as const;

/** The gRPC status code of an error, or of the first error in its `cause` chain that has one (a ServiceError wraps it). */
export function grpcCode(error: unknown): number | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 4; depth += 1) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'number') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** gRPC NOT_FOUND, as the raw schedule and workflow calls report something missing. */
export function isNotFound(error: unknown): boolean {
  return grpcCode(error) === GrpcStatus.NOT_FOUND;
}
