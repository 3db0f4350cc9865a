export interface OperationLogEntry {
  method: string;
  /** Path under the sandbox origin, query string included (`/scim/v2/Users?filter=…`). */
  path: string;
  /** null while the request is in flight, or when the client went away before an answer was sent; an answer cut short after its headers keeps its status. */
  status: number | null;
  /** ISO 8601 time the request arrived. */
  time: string;
  /** ISO 8601 time its answer was sent (or the client went away); null while in flight. */
  answeredAt: string | null;
}

/** Every request that reached /scim/v2, in arrival order, whatever its outcome (401 and 429 included). */
export class OperationLog {
  private entries: OperationLogEntry[] = [];

  record(method: string, path: string, time: Date): OperationLogEntry {
    const entry: OperationLogEntry = { method, path, status: null, time: time.toISOString(), answeredAt: null };
    this.entries.push(entry);
    return entry;
  }

  all(): OperationLogEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  countsByMethod(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.entries) counts[entry.method] = (counts[entry.method] ?? 0) + 1;
    return counts;
  }

  clear(): void {
    this.entries = [];
  }
}
