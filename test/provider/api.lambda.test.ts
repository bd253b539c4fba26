// The whole queue API suite a second time, through the Lambda handlers: REST API (v1) events
// on the memory store, HTTP API (v2) events on Redis.
import { apiSuite } from './api-suite.ts';
import { memoryKind, redisKind } from './support.ts';

apiSuite(memoryKind(), { lambda: 'v1' });
apiSuite(redisKind(), { lambda: 'v2' });
