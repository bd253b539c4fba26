import { presenceSuite } from './presence-suite.ts';
import { redisKind } from './support.ts';

presenceSuite(redisKind());
