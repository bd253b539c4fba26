import { entrySuite } from './entry-suite.ts';
import { redisKind } from './support.ts';

entrySuite(redisKind());
