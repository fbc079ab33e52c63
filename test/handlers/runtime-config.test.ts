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
