import {Args} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';

export default class RegistryLogout extends SpinCommand {
  static override summary = 'Forget the stored credentials of an image registry.';

  static override description = `Removes them from Docker's config.json (and from the credential helper when one holds them),
as \`docker logout\` does. Logging out of a registry you are not logged in to is not an error.`;

  static override examples = [{description: 'Forget a registry', command: '<%= config.bin %> <%= command.id %> registry.example.org'}];

  static override args = {
    registry: Args.string({description: 'The registry host, e.g. registry.example.org or 127.0.0.1:5000.', required: true}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(RegistryLogout);
    const {normalizeRegistry, registryHost} = await import('../../lib/images/naming.ts');
    const {removeCredentials} = await import('../../lib/images/credentials.ts');
    const registry = registryHost(normalizeRegistry(args.registry));
    const removed = await removeCredentials(registry);
    this.err(removed ? `logged out of registry "${registry}"` : `not logged in to registry "${registry}"; nothing to remove`);
  }
}
