/**
 * A bench's server runs in a child process so its CPU time can be read apart from the load
 * generator's: the child answers `'cpu'` with its CPU time so far and leaves on `'exit'`.
 */
import type { ChildProcess } from 'node:child_process';

/** In the child: answer the parent's CPU queries (µs, user + system) and its `'exit'`. */
export function answerCpuQueries(): void {
  process.on('message', (message) => {
    if (message === 'exit') process.exit(0);
    if (message === 'cpu') {
      const usage = process.cpuUsage();
      process.send?.({ cpu: usage.user + usage.system });
    }
  });
}

/** In the parent: the child's CPU time so far (µs, user + system). */
export function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'cpu' in message) {
        child.off('message', onMessage);
        resolve((message as { cpu: number }).cpu);
      }
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}
