// A command run in a replica over a hijacked connection: stdin goes up the socket, output comes back
// multiplexed (or raw with a TTY), and the exit code is read from the exec's inspect once the
// output ends.

import type Dockerode from 'dockerode';
import type {Duplex} from 'node:stream';
import {PassThrough, Writable} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';

import {engineCall} from './errors.ts';
import {FrameDemuxer} from './logs.ts';
import type {ExecOptions, ExecSession} from './types.ts';

/** How long to wait for the engine to record the exit code after the output ended. */
const EXIT_CODE_WAIT_MS = 5000;

export async function startExec(container: Dockerode.Container, options: ExecOptions, what: string): Promise<ExecSession> {
  const tty = options.tty === true;
  const stdinWanted = options.stdin === true;
  const exec = await engineCall(`start "${options.cmd.join(' ').slice(0, 100)}" in ${what}`, () =>
    container.exec({
      Cmd: options.cmd,
      AttachStdin: stdinWanted,
      AttachStdout: true,
      AttachStderr: true,
      Tty: tty,
      ...(options.user ? {User: options.user} : {}),
      ...(options.workdir ? {WorkingDir: options.workdir} : {}),
      ...(options.env?.length ? {Env: options.env} : {}),
    }),
  );
  const socket = (await engineCall(`attach to the command in ${what}`, () => exec.start({hijack: true, stdin: stdinWanted, Tty: tty}))) as Duplex;

  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const demux = new FrameDemuxer();
  socket.on('data', (chunk: Buffer) => {
    if (tty) stdout.write(chunk);
    else for (const f of demux.push(chunk)) (f.stream === 'stderr' ? stderr : stdout).write(f.data);
  });
  const ended = new Promise<void>((resolve) => {
    const done = () => {
      stdout.end();
      stderr.end();
      resolve();
    };
    socket.once('end', done);
    socket.once('close', done);
    socket.once('error', done);
  });

  const stdin = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!stdinWanted || socket.destroyed) return callback();
      socket.write(chunk, (err) => callback(err ?? undefined));
    },
    final(callback) {
      // Half-close: the command sees end of input and its output still flows back.
      if (stdinWanted && !socket.destroyed) socket.end();
      callback();
    },
  });

  let exitCode: Promise<number> | undefined;
  let killed = false;
  const wait = async (): Promise<number> => {
    await ended;
    const deadline = Date.now() + EXIT_CODE_WAIT_MS;
    for (;;) {
      const info = await engineCall(`read the exit code of the command in ${what}`, () => exec.inspect());
      if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
      // A killed session leaves the command running: report it as interrupted, like a shell would.
      if (killed || Date.now() > deadline) return 130;
      await sleep(50);
    }
  };

  return {
    stdin,
    stdout,
    stderr,
    resize: async (cols, rows) => {
      await engineCall(`resize the terminal in ${what}`, () => exec.resize({w: cols, h: rows}));
    },
    wait: () => (exitCode ??= wait()),
    kill: () => {
      killed = true;
      socket.destroy();
    },
  };
}
