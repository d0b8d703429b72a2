#!/usr/bin/env node
// Development entry point: runs the TypeScript sources directly (Node 24 strips types), no build.
import {execute} from '@oclif/core';

await execute({development: true, dir: import.meta.url});
