import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeConfig } from '../domain/model';

/** The normalised config the stack bundles next to each handler that needs it. */
export const RUNTIME_CONFIG_FILE = 'burnwatch-config.json';
const BUNDLED_NAME = /^[A-Za-z0-9._-]+$/;

export class RuntimeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeConfigError';
  }
}

/**
 * Reads the normalised configuration the stack wrote into the function's environment at synth time. It was
 * validated then; here we only check it is the shape this code understands, so a mismatched deploy fails loudly.
 */
export function parseRuntimeConfig(raw: string | undefined, variable = 'BURNWATCH_CONFIG'): RuntimeConfig {
  if (raw === undefined || raw.trim() === '') throw new RuntimeConfigError(`${variable}: must be set to the JSON runtime config, got nothing`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new RuntimeConfigError(`${variable}: must be JSON, got a parse error: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new RuntimeConfigError(`${variable}: must be a JSON object, got ${typeof parsed}`);
  const candidate = parsed as Partial<RuntimeConfig>;
  if (candidate.schemaVersion !== 1) {
    throw new RuntimeConfigError(`${variable}.schemaVersion: must be 1, got ${JSON.stringify(candidate.schemaVersion)}`);
  }
  if (!Array.isArray(candidate.slos) || candidate.slos.length === 0) {
    throw new RuntimeConfigError(`${variable}.slos: must be a non-empty array, got ${JSON.stringify(candidate.slos)}`);
  }
  if (typeof candidate.evaluator !== 'object' || candidate.evaluator === null) {
    throw new RuntimeConfigError(`${variable}.evaluator: must be an object, got ${JSON.stringify(candidate.evaluator)}`);
  }
  return candidate as RuntimeConfig;
}

/**
 * Reads the config file named by `BURNWATCH_CONFIG_FILE` from the bundle's directory (the handler's `__dirname`
 * once bundled). A missing or unreadable file fails the cold start with the file named.
 */
export function loadBundledRuntimeConfig(env: Readonly<Record<string, string | undefined>>, directory: string): RuntimeConfig {
  const name = requireEnv(env, 'BURNWATCH_CONFIG_FILE');
  if (!BUNDLED_NAME.test(name)) {
    throw new RuntimeConfigError(`BURNWATCH_CONFIG_FILE: must be a file name matching ${BUNDLED_NAME.source}, got ${JSON.stringify(name)}`);
  }
  let raw: string;
  try {
    raw = readFileSync(join(directory, name), 'utf8');
  } catch (error) {
    throw new RuntimeConfigError(`BURNWATCH_CONFIG_FILE: ${name} must be bundled next to the handler, could not read it: ${(error as Error).message}`);
  }
  return parseRuntimeConfig(raw, name);
}

export function requireEnv(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new RuntimeConfigError(`${name}: environment variable must be set, got nothing`);
  return value;
}
