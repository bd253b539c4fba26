#!/usr/bin/env node
// The package's command. Plain JavaScript so `node bin/anteroom.js` works without a build:
// Node 22.18+ strips the TypeScript types of the imported sources.
import { main } from '../provider/server/cli.ts';

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (error) => {
    console.error(`anteroom: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
