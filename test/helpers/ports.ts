// Free TCP ports on 127.0.0.1 for tests: any port the kernel hands out, or one inside a range
// (the policy's published ports, 60000-60050), tried from a random start so parallel test files
// rarely race for the same one.

import {createServer} from 'node:net';

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port the kernel picks (free when asked; nothing holds it afterwards). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number};
      server.close(() => resolve(port));
    });
  });
}

/** A free port in [from, to]; throws when every one is taken. */
export async function freePortInRange(from: number, to: number): Promise<number> {
  const span = to - from + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const port = from + ((start + i) % span);
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${from}-${to}`);
}
