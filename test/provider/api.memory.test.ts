import { apiSuite } from './api-suite.ts';
import { memoryKind } from './support.ts';

apiSuite(memoryKind());
