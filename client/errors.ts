/**
 * What the CLI reads of an error: its text with the reasons it wraps, and the gRPC status behind it. One place, so
 * every command says why the same way and none reads more of an error than its messages.
 */

// An error's text with the reasons it wraps: one rule for the CLI and the workflows' failure messages.
export { errorText } from '../sync/failure-text';

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
