import { createSource } from '../../hris';
import { RestSourceConfigSchema } from '../../hris/config';
import { SourceReadError, readAllRecords, type HrisRecord } from '../../hris/source';
import type { RecordProblem } from '../../mapping/employee';
import type { SecretRef } from '../../config/secret';

/** Shared by the REST source's read tests (pagination over unstable orders, cursors and links): no secret is configured. */
const resolveSecret = (ref: SecretRef): string => {
  throw new Error(`no secret ${JSON.stringify(ref)}`);
};

/** Reads `<origin>/api/employees` as a REST source with `options`, retries without waiting; problems go to `onProblem` when given. */
export function readRestWith(origin: string, options: Record<string, unknown>, onProblem?: (problem: RecordProblem) => void): Promise<HrisRecord[]> {
  const config = RestSourceConfigSchema.parse({ type: 'rest', url: `${origin}/api/employees`, ...options });
  if (config.type !== 'rest') throw new Error('not a rest config');
  return readAllRecords(createSource(config, { resolveSecret, sleep: async () => undefined }), onProblem ? { onProblem } : {});
}

/** The SourceReadError a read ends in (fails the test when it ends otherwise). */
export async function readFailure(reading: Promise<unknown>): Promise<SourceReadError> {
  const error = await reading.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SourceReadError);
  return error as SourceReadError;
}

export const ids = (records: HrisRecord[]) => records.map((record) => record['id']);

/** Six people, two departments: ORDER BY department alone ties within each, which an API may break differently per request. */
export const TIED_STAFF = [
  { id: 'E1', department: 'Ops', email: 'e1@example.com' },
  { id: 'E2', department: 'Ops', email: 'e2@example.com' },
  { id: 'E3', department: 'Ops', email: 'e3@example.com' },
  { id: 'E4', department: 'Ops', email: 'e4@example.com' },
  { id: 'E5', department: 'Sales', email: 'e5@example.com' },
  { id: 'E6', department: 'Sales', email: 'e6@example.com' },
];
