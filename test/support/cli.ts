/**
 * Helpers for the command-line tests: a temporary folder for the SLO and series files a command reads, the
 * `timestamp,tenant,total,bad` series text, the SLO file most of them use, and running a command with its output
 * captured (through bin/burnwatch.ts's main, or a command function given an io).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bin/burnwatch';
import type { CliIo } from '../../cli/backtest/cli';
import { MINUTE_MS } from '../../lambda/domain/model';
import type { WindowCounts } from '../../lambda/domain/model';

/** What a command run returned and wrote. */
export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temporary folder whose files a test hands to a command. */
export interface TempDir {
  readonly dir: string;
  /** Writes `text` to `name` in the folder and returns the file's path. */
  file(name: string, text: string): string;
}

/** Creates the folder now (so describe blocks can write their inputs) and removes it after the file's tests. */
export function useTempDir(prefix: string): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file: (name, text) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
  };
}

/** Counts of a tenant's minute; null (or total 0) is no traffic. */
export type Traffic = (minute: number) => WindowCounts | null;

/**
 * A `timestamp,tenant,total,bad` series: a row per minute in [fromMinute, toMinute) (minutes from `start`, epoch ms)
 * and per tenant with traffic, tenants in the order given; a tenant id with a comma is quoted.
 */
export function countSeriesCsv(tenants: Readonly<Record<string, Traffic>>, start: number, fromMinute: number, toMinute: number): string {
  const lines = ['timestamp,tenant,total,bad'];
  for (let minute = fromMinute; minute < toMinute; minute += 1) {
    for (const [tenant, traffic] of Object.entries(tenants)) {
      const counts = traffic(minute);
      const timestamp = new Date(start + minute * MINUTE_MS).toISOString();
      if (counts !== null) lines.push(`${timestamp},${tenant.includes(',') ? `"${tenant}"` : tenant},${counts.total},${counts.bad}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The SLO file the command tests share: api-availability at 99.9 % (so the Workbook's default rules), bad =
 * Errors over Requests of namespace MyService, per TenantId. `dimensions` (a YAML flow map) narrows the metrics;
 * `extra` is appended as is, indented to sit in the SLO (alerting, tenants, overrides).
 */
export function apiAvailabilityYaml(extra = '', { dimensions }: { readonly dimensions?: string } = {}): string {
  return `
slos:
  - name: api-availability
    objective: 99.9
    sli:
      namespace: MyService
      tenantDimension: TenantId
${dimensions === undefined ? '' : `      dimensions: ${dimensions}\n`}      metrics:
        requests: { metricName: Requests }
        errors: { metricName: Errors }
      bad: errors
      total: requests
${extra}`;
}

/** Runs bin/burnwatch.ts's main with process.stdout and process.stderr captured. */
export async function runBurnwatch(args: readonly string[]): Promise<CommandRun> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Runs a command function (`backtestCommand`, `reportCommand` ...) with an io that captures what it writes. */
export async function runWithCapturedIo(command: (io: CliIo) => Promise<number>): Promise<CommandRun> {
  let stdout = '';
  let stderr = '';
  const code = await command({ stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
  return { code, stdout, stderr };
}
