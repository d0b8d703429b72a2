// Every benchmark `npm run bench` knows, in the order they run. To add one, write a module that
// exports a Benchmark (see startup.ts) and list it here.

import {startup} from './startup.ts';
import type {Benchmark} from './types.ts';
import {validateConfig} from './validate-config.ts';

export const benchmarks: readonly Benchmark[] = [startup, validateConfig];
