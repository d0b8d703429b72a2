// What a command needs from the world, in one place, as GitHub CLI's `cmdutil.Factory`: the two
// output streams with what kind of terminal each is, the environment, the working folder, the
// clock, and the clients it talks through. A command reads these through its factory and never
// through `process`, so a test hands in its own (strings for streams, a fake agent client) and
// runs the command in-process, without a build or a spawn.

import type Dockerode from 'dockerode';

import type {AgentClient, AgentClientOptions} from '../lib/client/agent.ts';
import {detectTerminal, type SizedStream, type Terminal} from '../lib/ui/terminal.ts';

/** An output stream and the terminal it writes to (color, TTY), decided once. */
export interface Output {
  stream: SizedStream;
  terminal: Terminal;
}

export interface Factory {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  now(): Date;
  /** A client of the agent at this URL; every one made is closed when the command ends. */
  agentClient(options: AgentClientOptions): Promise<AgentClient>;
  /** A Docker Engine client for DOCKER_HOST (else the local socket); dockerode loads only when asked. */
  docker(): Promise<Dockerode>;
  /** The process's exit status when the command returns (a test records it instead). */
  setExitCode(code: number): void;
  /** Closes every agent client this factory made: the command's `finally`. */
  close(): void;
}

/** Keeps every client it makes, so `close()` can end them all however the command ended. */
export function trackClients(make: (options: AgentClientOptions) => AgentClient | Promise<AgentClient>): Pick<Factory, 'agentClient' | 'close'> {
  const made: AgentClient[] = [];
  return {
    async agentClient(options) {
      const client = await make(options);
      made.push(client);
      return client;
    },
    close() {
      for (const client of made.splice(0)) client.close();
    },
  };
}

/** The factory of a real run: the process's streams, environment and folder, the real clients. */
export function processFactory(): Factory {
  const output = (stream: NodeJS.WriteStream): Output => ({stream, terminal: detectTerminal(stream)});
  return {
    stdout: output(process.stdout),
    stderr: output(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    // Loaded when a command connects: validate and config never need the agent's client.
    ...trackClients(async (options) => new (await import('../lib/client/agent.ts')).AgentClient(options)),
    async docker() {
      const {default: Docker} = await import('dockerode');
      return new Docker();
    },
    setExitCode(code) {
      process.exitCode = code;
    },
  };
}
