import { parseRuntimeConfig, requireEnv, RuntimeConfigError } from '../../lambda/handlers/runtime-config';

describe('parseRuntimeConfig', () => {
  it.each([
    ['nothing', undefined, 'BURNWATCH_CONFIG: must be set'],
    ['not JSON', '{oops', 'BURNWATCH_CONFIG: must be JSON'],
    ['a JSON array of the wrong kind', '42', 'must be a JSON object, got number'],
    ['another schema version', '{"schemaVersion":2,"slos":[{}],"evaluator":{}}', 'BURNWATCH_CONFIG.schemaVersion: must be 1, got 2'],
    ['no SLOs', '{"schemaVersion":1,"slos":[],"evaluator":{}}', 'BURNWATCH_CONFIG.slos: must be a non-empty array, got []'],
    ['no evaluator settings', '{"schemaVersion":1,"slos":[{}]}', 'BURNWATCH_CONFIG.evaluator: must be an object'],
  ])('rejects %s naming the field', (_label, raw, message) => {
    expect(() => parseRuntimeConfig(raw)).toThrow(RuntimeConfigError);
    expect(() => parseRuntimeConfig(raw)).toThrow(message);
  });

  it('accepts a config of the current schema', () => {
    const config = parseRuntimeConfig('{"schemaVersion":1,"slos":[{"name":"api"}],"evaluator":{"dataDelayMinutes":1}}');
    expect(config.slos[0]?.name).toBe('api');
  });

  it('names a missing environment variable', () => {
    expect(() => requireEnv({}, 'STATE_TABLE_NAME')).toThrow('STATE_TABLE_NAME: environment variable must be set, got nothing');
  });
});

describe('loadBundledRuntimeConfig', () => {
  const { mkdtempSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
  const { join } = require('node:path') as typeof import('node:path');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  const { loadBundledRuntimeConfig } = require('../../lambda/handlers/runtime-config') as typeof import('../../lambda/handlers/runtime-config');

  it('reads the named file from the bundle directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
    writeFileSync(join(dir, 'burnwatch-config.json'), '{"schemaVersion":1,"slos":[{"name":"api"}],"evaluator":{}}');
    expect(loadBundledRuntimeConfig({ BURNWATCH_CONFIG_FILE: 'burnwatch-config.json' }, dir).slos[0]?.name).toBe('api');
  });

  it.each([
    ['no variable', {}, 'BURNWATCH_CONFIG_FILE: environment variable must be set'],
    ['a path instead of a name', { BURNWATCH_CONFIG_FILE: '../etc/passwd' }, 'BURNWATCH_CONFIG_FILE: must be a file name'],
    ['a file that is not bundled', { BURNWATCH_CONFIG_FILE: 'missing.json' }, 'BURNWATCH_CONFIG_FILE: missing.json must be bundled next to the handler'],
  ])('fails the cold start with %s, naming it', (_label, env, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
    expect(() => loadBundledRuntimeConfig(env, dir)).toThrow(message);
  });

  it('names the file in a parse error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
    writeFileSync(join(dir, 'burnwatch-config.json'), '{"schemaVersion":7}');
    expect(() => loadBundledRuntimeConfig({ BURNWATCH_CONFIG_FILE: 'burnwatch-config.json' }, dir)).toThrow('burnwatch-config.json.schemaVersion: must be 1, got 7');
  });
});
