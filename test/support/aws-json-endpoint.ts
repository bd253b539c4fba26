/**
 * A stand-in AWS JSON endpoint on loopback (plain HTTP) for the functions' own signed calls:
 * it records each request's headers and parsed body and answers what a test queued, then a
 * default. AWS itself cannot run here; DynamoDB's real API is tested through dynalite.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface AwsJsonEndpoint {
  url: string;
  server: Server;
  /** Every request so far, oldest first. */
  received: ReceivedCall[];
  /** What the endpoint answers next (status, body), oldest first; then the default. */
  answers: [number, unknown][];
  /** Variables that sign for a test account in eu-west-1 (no endpoint variable). */
  credentials: Record<string, string>;
  close(): void;
}

export async function startAwsJsonEndpoint(options: {
  contentType: string;
  /** The answer when none is queued (status 200). */
  fallback: (body: Record<string, unknown>) => unknown;
}): Promise<AwsJsonEndpoint> {
  const received: ReceivedCall[] = [];
  const answers: [number, unknown][] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      received.push({ headers: req.headers, body });
      const [status, answer] = answers.shift() ?? [200, options.fallback(body)];
      res.writeHead(status, { 'content-type': options.contentType });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    received,
    answers,
    credentials: {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
    },
    close: () => server.close(),
  };
}
