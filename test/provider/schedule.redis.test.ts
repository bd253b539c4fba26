import { scheduleSuite } from './schedule-suite.ts';
import { redisKind } from './support.ts';

scheduleSuite(redisKind());
