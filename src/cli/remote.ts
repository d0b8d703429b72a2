// The flags of every command that talks to the agent: the project and stack they name, and how
// long to wait. What they connect with is connect.ts, which the fast path uses without oclif.

import {Flags} from '@oclif/core';

import {composeFlags} from './flags.ts';

export const projectFlag = {
  project: Flags.string({char: 'p', description: 'Platform project (team). Default: SPIN_PROJECT, else the context\'s project.', helpValue: 'NAME'}),
};

export const stackFlags = {
  ...projectFlag,
  stack: Flags.string({char: 's', description: 'Stack name. Default: the compose project name (`name:` in the compose file, else the folder name).', helpValue: 'NAME'}),
  file: composeFlags.file,
};

/** `--timeout` of the commands that wait for a stack to become healthy. */
export const timeoutFlag = {
  timeout: Flags.string({description: 'How long to wait for the stack to become healthy (e.g. 90s, 5m).', default: '5m', helpValue: 'DURATION'}),
};
