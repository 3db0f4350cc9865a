import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { EmployeeReportLine } from '../sync/employee-report';

/** Every value of a string-literal union, as a tuple TypeScript checks against the union (none missing, none extra). */
function allOf<T extends string>() {
  return <const V extends readonly [T, ...T[]]>(values: V & ([Exclude<T, V[number]>] extends [never] ? unknown : { missing: Exclude<T, V[number]> })): V => values;
}

// One source of truth: the values come from the types the worker writes the report with (sync/employee-report.ts,
// sync/plan.ts PlannedAction, sync/types.ts EmployeeStatus); a value added there fails to compile here until listed.
const ACTIONS = allOf<EmployeeReportLine['action']>()(['create', 'update', 'unchanged', 'discover', 'skip', 'deactivate', 'delete', 'invalid']);
const STATUSES = allOf<EmployeeReportLine['status']>()(['created', 'updated', 'deactivated', 'deleted', 'unchanged', 'failed', 'skipped', 'found', 'not_done', 'planned']);

const Value = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const ChangeSchema = z.object({ field: z.string(), from: Value, to: Value, peakon: z.literal(true).optional() });
const ReportLineSchema = z.object({
  employeeKey: z.string(),
  employeeRef: z.string().optional(),
  recordRef: z.string(),
  action: z.enum(ACTIONS),
  status: z.enum(STATUSES),
  changes: z.array(ChangeSchema),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
  returner: z.boolean().optional(),
  adopted: z.boolean().optional(),
  reason: z.string().optional(),
});

// The schema reads exactly an EmployeeReportLine: no field of the line is stripped, no value of it refused.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const readsExactlyAReportLine: Same<z.output<typeof ReportLineSchema>, EmployeeReportLine> = true;
void readsExactlyAReportLine;

const ReportFileSchema = z.object({ employees: z.array(ReportLineSchema) });

/** The per-employee lines of a report file, or why they could not be read (a warning: the run itself is done). */
export type ReportLines = { lines: EmployeeReportLine[] } | { warning: string } | undefined;

/**
 * The per-employee lines of a run report the worker wrote, if this machine can read the file (one host, or a shared
 * volume). Undefined when there is no file here; a warning, never a throw, when the file is there but unreadable.
 */
export function readReportLines(reportPath: string | undefined): ReportLines {
  if (!reportPath || !existsSync(reportPath)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(reportPath, 'utf8'));
  } catch (error) {
    return { warning: `could not read the per-employee lines of ${reportPath}: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = ReportFileSchema.safeParse(json);
  if (parsed.success) return { lines: parsed.data.employees };
  const issue = parsed.error.issues[0];
  return { warning: `could not read the per-employee lines of ${reportPath}: ${issue ? `${issue.path.join('.') || 'file'}: ${issue.message}` : 'unexpected content'}` };
}
