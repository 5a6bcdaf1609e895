/** The shipped JSON Schema of the report: tests and suites validate every report podproof writes against it. */
export { REPORT_SCHEMA, reportSchemaErrors } from '../../src/report/schema.js';
