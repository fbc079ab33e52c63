/**
 * The monthly report's three outputs: JSON (the contract for automation), CSV (the same columns, for a
 * spreadsheet) and a self-contained HTML page. They live in lambda/domain/report.ts, shared with the stack's
 * monthly report function; re-exported here for the command line.
 */
export { REPORT_COLUMNS, budgetSparkline, reportCsv, reportHtml, reportJson } from '../../lambda/domain/report';
export type { ReportIncidentJson, ReportJson, ReportRowJson } from '../../lambda/domain/report';
