import { entrySuite } from './entry-suite.ts';
import { memoryKind } from './support.ts';

entrySuite(memoryKind());
