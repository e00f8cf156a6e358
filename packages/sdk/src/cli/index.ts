#!/usr/bin/env node
/** Entry of the `activity` bin (see docs/cli.md). */
import { ActivityError } from '../errors.js';
import { createProgram } from './program.js';

createProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const message = error instanceof ActivityError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`activity: ${message}\n`);
    process.exitCode = 1;
  });
