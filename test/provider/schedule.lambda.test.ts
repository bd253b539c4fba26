// The scheduled-sale suite a second time, through the Lambda handlers (HTTP API v2 events, Redis).
import { scheduleSuite } from './schedule-suite.ts';
import { redisKind } from './support.ts';

scheduleSuite(redisKind(), { lambda: 'v2' });
