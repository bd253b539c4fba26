import { scheduleSuite } from './schedule-suite.ts';
import { memoryKind } from './support.ts';

scheduleSuite(memoryKind());
