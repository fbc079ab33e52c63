/**
 * Headless Chromium for the tests that check how a report lays out. Chromium is a requirement of those tests, not
 * an option: when it cannot be run they fail, saying how to install it (.ci/run installs it), never skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ChromiumUnavailableError extends Error {
  constructor(cause: Error) {
    super(`chromium is required for this test (apt-get install -y chromium): ${cause.message}`);
    this.name = 'ChromiumUnavailableError';
  }
}

/** Runs as root and without network: no sandbox, no GPU, nothing that reaches out, a fresh throwaway profile. */
function headlessFlags(): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 'burnwatch-chromium-'))}`,
  ];
}

/**
 * Runs `chromium` headless with `args` after the flags (e.g. `--dump-dom <url>`) and returns its exit status and
 * stdout; throws ChromiumUnavailableError when it cannot be started.
 */
export function runHeadlessChromium(args: readonly string[]): { readonly status: number | null; readonly stdout: string } {
  const run = spawnSync('chromium', [...headlessFlags(), ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new ChromiumUnavailableError(run.error);
  return { status: run.status, stdout: run.stdout };
}
