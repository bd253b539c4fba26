import { apiSuite } from './api-suite.ts';
import { redisKind } from './support.ts';

apiSuite(redisKind());
