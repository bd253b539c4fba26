import { presenceSuite } from './presence-suite.ts';
import { memoryKind } from './support.ts';

presenceSuite(memoryKind());
