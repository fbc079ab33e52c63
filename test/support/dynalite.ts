/**
 * Test helpers over the local DynamoDB (dynalite) that the demo also uses. If dynalite does not start, beforeAll
 * fails every test of the file: nothing is skipped.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalDynamo } from '../../cli/local/dynalite';
import type { LocalDynamo } from '../../cli/local/dynalite';
import type { TableKey } from '../../lambda/domain/keys';

export { startLocalDynamo };
export type { LocalDynamo };

/** A table of the Burnwatch layout with raw access, for setting up items as other writers left them. */
export interface TestTable {
  readonly name: string;
  readonly doc: DynamoDBDocumentClient;
  /** Writes an item as is; attributes set to `undefined` are left out. */
  putRaw(key: TableKey, attributes: object): Promise<void>;
  getRaw(key: TableKey): Promise<Record<string, unknown> | undefined>;
}

/**
 * For a test file: starts dynalite before its tests and stops it after them. `freshTable()` creates a new empty
 * table each time, so no test sees another's items. If dynalite does not start, beforeAll fails every test.
 */
export function useLocalDynamo(prefix: string): { freshTable(): Promise<TestTable> } {
  let local: LocalDynamo | undefined;
  let tables = 0;
  beforeAll(async () => {
    local = await startLocalDynamo();
  });
  afterAll(async () => {
    await local?.stop();
  });
  return {
    freshTable: async () => {
      if (local === undefined) throw new Error('dynalite did not start; see the beforeAll failure');
      const { doc } = local;
      tables += 1;
      const name = `${prefix}-${tables}`;
      await local.createTable(name);
      return {
        name,
        doc,
        putRaw: async (key, attributes) => {
          const present = Object.entries(attributes).filter(([, value]) => value !== undefined);
          await doc.send(new PutCommand({ TableName: name, Item: { ...Object.fromEntries(present), ...key } }));
        },
        getRaw: async (key) => (await doc.send(new GetCommand({ TableName: name, Key: key, ConsistentRead: true }))).Item,
      };
    },
  };
}
