import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** The report's JSON Schema as shipped (podproof/report.schema.json). */
export const REPORT_SCHEMA = JSON.parse(
  readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

// formats (date-time) are documentation here: Ajv checks them only with ajv-formats
const validate = new Ajv2020({ allErrors: true, validateFormats: false }).compile(REPORT_SCHEMA);

/** The schema's complaints about `report`, each `PATH message` (empty when it validates). */
export function reportSchemaErrors(report: unknown): string[] {
  if (validate(report)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
}
