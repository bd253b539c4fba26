/**
 * A real DynamoDB API for one test file: `dynalite` (DynamoDB on an in-memory LevelDB) on a
 * free loopback port, and clients pointed at it: the SDK's (to create and inspect tables) and
 * the functions' own (`provider/lambda/dynamodb.ts`). AWS itself is unreachable from the tests.
 */
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { DynamoDb } from '../../provider/lambda/dynamodb.ts';
import { freePort } from './redis.ts';

export interface LocalDynamo {
  client: DynamoDBClient;
  /** The functions' own client, as the OIDC adapter and the ledger use it. */
  direct: DynamoDb;
  /** `http://127.0.0.1:<port>`, for clients made elsewhere (another process). */
  endpoint: string;
  /** Stop the server, cutting open connections (outage tests call it early; safe twice). */
  stop(): Promise<void>;
}

export async function startDynalite(options: { maxAttempts?: number } = {}): Promise<LocalDynamo> {
  const port = await freePort();
  let server: Server | undefined = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
  const direct = new DynamoDb(
    {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    },
    options.maxAttempts === undefined ? {} : { attempts: options.maxAttempts },
  );
  return {
    client,
    direct,
    endpoint,
    async stop() {
      const running = server;
      server = undefined;
      if (!running) return;
      running.closeAllConnections();
      await new Promise<void>((resolve) => running.close(() => resolve()));
    },
  };
}
