/**
 * A local DynamoDB (dynalite, in-process, in-memory) for the demo, the benchmark and the tests. Starting it never
 * degrades to something else: if dynalite cannot listen, the promise rejects.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createBurnwatchTable } from '../../lambda/adapters/dynamo-table-schema';

interface DynaliteOptions {
  readonly createTableMs: number;
  readonly deleteTableMs: number;
  readonly updateTableMs: number;
}
type Dynalite = (options: DynaliteOptions) => Server;

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** Creates a table with the Burnwatch key schema and waits until it is ACTIVE. */
  createTable(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
  // dynalite ships no type declarations; the factory signature is declared above.
  const dynalite = require('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint,
    client,
    doc,
    createTable: (name) => createBurnwatchTable(client, name, { pollIntervalMs: 10 }),
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets would otherwise hold the close open.
        server.closeAllConnections();
      });
    },
  };
}
