import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { EmployeeReportLine } from '../sync/employee-report';

const ChangeSchema = z.object({ field: z.string(), from: z.union([z.string(), z.number(), z.boolean(), z.null()]), to: z.union([z.string(), z.number(), z.boolean(), z.null()]) });
const ReportLineSchema = z.object({
  employeeKey: z.string(),
  recordRef: z.string(),
  action: z.enum(['create', 'update', 'unchanged', 'discover', 'skip', 'invalid']),
  status: z.enum(['created', 'updated', 'unchanged', 'failed', 'skipped', 'found', 'planned']),
  changes: z.array(ChangeSchema),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
});
const ReportFileSchema = z.object({ employees: z.array(ReportLineSchema) });

/** The per-employee lines of a run report the worker wrote, if this machine can read the file (one host, or a shared volume). */
export function readReportLines(reportPath: string | undefined): EmployeeReportLine[] | undefined {
  if (!reportPath || !existsSync(reportPath)) return undefined;
  const parsed = ReportFileSchema.safeParse(JSON.parse(readFileSync(reportPath, 'utf8')));
  return parsed.success ? parsed.data.employees : undefined;
}
