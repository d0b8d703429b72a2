import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';
import {UsageError} from '../../lib/errors.ts';

const MAX_PASSWORD_BYTES = 4096;

export default class RegistryLogin extends SpinCommand {
  static override summary = 'Log in to an image registry, for people without the docker CLI.';

  static override description = `Checks the credentials against the registry (GET /v2/, Basic or token auth), then stores them
where \`docker login\` does: your credential helper if Docker's config.json names one, else
base64 in config.json \`auths\` (file mode 0600, folder 0700; $DOCKER_CONFIG honoured).
The password is read from standard input and never printed.
Exit status: 0 logged in, 2 usage error, 4 credentials refused, 6 registry unreachable.`;

  static override examples = [
    {description: 'Log in with a password from a file', command: '<%= config.bin %> <%= command.id %> registry.example.org -u alice --password-stdin < password.txt'},
    {description: 'From CI, with a token in a variable', command: 'printf %s "$REGISTRY_TOKEN" | <%= config.bin %> <%= command.id %> registry.example.org -u ci-bot --password-stdin'},
  ];

  static override args = {
    registry: Args.string({description: 'The registry host, e.g. registry.example.org or 127.0.0.1:5000.', required: true}),
  };

  static override flags = {
    username: Flags.string({char: 'u', description: 'User name.', required: true, helpValue: 'USER'}),
    'password-stdin': Flags.boolean({description: 'Read the password from standard input (required: spin never takes a password as an argument).'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RegistryLogin);
    if (!flags['password-stdin']) {
      throw new UsageError('no password given', {hint: 'pipe it in with --password-stdin, e.g. `spin registry login HOST -u USER --password-stdin < password.txt`'});
    }
    const {normalizeRegistry, registryHost} = await import('../../lib/images/naming.ts');
    const {pingRegistry} = await import('../../lib/images/registry.ts');
    const {storeCredentials} = await import('../../lib/images/credentials.ts');
    const registry = registryHost(normalizeRegistry(args.registry));
    const password = await readPassword();
    await pingRegistry(registry, {username: flags.username, password});
    const stored = await storeCredentials(registry, {username: flags.username, password});
    const where = stored.helper ? `credential helper "docker-credential-${stored.helper}"` : `"${stored.path}"`;
    this.err(`logged in to registry "${registry}" as "${flags.username}"; credentials stored in ${where}`);
  }
}

async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_PASSWORD_BYTES) throw new UsageError('the password on standard input is longer than 4 KiB', {hint: 'pipe only the password (or token) into --password-stdin'});
    chunks.push(chunk as Buffer);
  }
  // A password file or `echo` ends with a newline that is not part of the password.
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!password) throw new UsageError('the password on standard input is empty', {hint: 'pipe the password in, e.g. `< password.txt`'});
  return password;
}
