#!/usr/bin/env node
/** The `larder` executable. */
import { run } from './program.js';

// `larder keys … | head` closes stdout early: that ends the output, it is not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await run(process.argv);
