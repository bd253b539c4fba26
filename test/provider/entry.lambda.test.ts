// The entry suite a second time, through the Lambda handlers: REST API (v1) events on the memory
// store, HTTP API (v2) events on Redis.
import { entrySuite } from './entry-suite.ts';
import { memoryKind, redisKind } from './support.ts';

entrySuite(memoryKind(), { lambda: 'v1' });
entrySuite(redisKind(), { lambda: 'v2' });
