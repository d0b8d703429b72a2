// Flags shared by every command that reads a compose project.
import {Flags} from '@oclif/core';

export const composeFlags = {
  file: Flags.string({char: 'f', description: 'Compose file; repeat to merge several, later files win. Default: compose.yaml in the current folder, else in the nearest parent folder that has one.', multiple: true, helpValue: 'FILE'}),
  'env-file': Flags.string({description: 'Read variables from this file instead of .env; repeatable.', multiple: true, helpValue: 'FILE'}),
  profile: Flags.string({description: 'Enable services of this profile; repeatable (also COMPOSE_PROFILES).', multiple: true, helpValue: 'NAME'}),
};

/** The agent's state directory, shared by `spin agent start` and the identity commands. */
export const dataDirFlag = {
  'data-dir': Flags.string({description: "The agent's state directory (database, secret key). Default: $XDG_STATE_HOME/spin/agent, else ~/.local/state/spin/agent.", env: 'SPIN_DATA_DIR', helpValue: 'DIR'}),
};
