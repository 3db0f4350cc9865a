import { z } from 'zod';

export const CsvSourceConfigSchema = z.object({
  type: z.literal('csv'),
  path: z.string().min(1).describe('path of the CSV export, relative to the config file'),
  delimiter: z.string().length(1).default(','),
  encoding: z.enum(['utf8', 'utf-8', 'latin1', 'utf16le']).default('utf8'),
});

export const SourceConfigSchema = z.discriminatedUnion('type', [CsvSourceConfigSchema]);
export type SourceConfig = z.infer<typeof SourceConfigSchema>;
