// The absent-visitors suite a second time, through the Lambda handlers (HTTP API v2 events, Redis).
import { presenceSuite } from './presence-suite.ts';
import { redisKind } from './support.ts';

presenceSuite(redisKind(), { lambda: 'v2' });
