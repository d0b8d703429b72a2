import {Flags} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';
import {dataDirFlag} from '../../cli/flags.ts';
import {ExitCode} from '../../lib/errors.ts';

export default class AgentStart extends SpinCommand {
  static override summary = 'Run the agent: the API server that checks and deploys stacks on this host.';

  static override description = `Opens the state directory, loads the policy, checks that the Docker engine answers, puts back
any stack a previous agent left mid-deploy, then serves the API until SIGINT, SIGTERM or SIGHUP (or
until its stderr is closed, e.g. the \`tee\` it writes to ends); a second signal stops it at once.
With --ingress-listen, services that ask for it (\`x-spin: {ingress: {port: N}}\`) are reachable by host
name through one reverse proxy (Caddy) that routes only to healthy replicas; the agent starts
Caddy (files under the data directory, admin API on 127.0.0.1, automatic HTTPS off) or drives the
one given with --ingress-admin, and stops it (or removes its routes) when it stops. Only an agent
killed outright (SIGKILL) leaves its Caddy running; the next agent on the same data directory adopts it.
Logs are JSON lines on stderr. Plain HTTP is only served on a loopback address; anywhere else give
a certificate, or --insecure when a TLS proxy in front of the agent terminates HTTPS.
The orchestrator is the Docker engine of one host (docker) or a Docker Swarm cluster (swarm, driven
through a manager's engine; \`ports\` are refused, use the ingress; named volumes only where they
cannot lose data). Exec in a task on another node than the manager goes through that node's engine,
given with --swarm-node-engine (TLS for tcp://; also how \`spin volume ls\` reads that node's volumes);
at start the agent asks each one which node it is, refuses one that is another node's, and logs
one that does not answer. On a cluster, --ingress-listen runs Caddy in two containers on the
manager's engine (image built there from this host's /usr/bin/caddy, admin API on a unix socket
under the data directory, attached to the stacks' overlay networks to reach task addresses) and
publishes HOST:PORT on the manager's host: one proxy for the whole cluster, a known single point of
failure. By
default the agent detects it: an engine that is an active Swarm manager means swarm, anything else
docker. The start-up line says which.
Exit status: 0 stopped cleanly, 2 usage error, 3 invalid policy file, 6 Docker engine unreachable.`;

  static override examples = [
    {description: 'Serve on 127.0.0.1:7878 with the default policy and state directory', command: '<%= config.bin %> <%= command.id %>'},
    {description: "A site's policy, its registry, and HTTPS on every interface", command: '<%= config.bin %> <%= command.id %> --policy /etc/spin/policy.yaml --registry registry.example.org --listen 0.0.0.0:7878 --tls-cert /etc/spin/cert.pem --tls-key /etc/spin/key.pem'},
    {description: 'Another engine and state directory, ports published on loopback only', command: '<%= config.bin %> <%= command.id %> --docker-host tcp://10.0.0.5:2375 --data-dir /srv/spin --publish-host-ip 127.0.0.1'},
    {description: 'Drive the Swarm cluster whose manager engine this is', command: '<%= config.bin %> <%= command.id %> --orchestrator swarm --docker-host unix:///var/run/docker.sock'},
    {description: 'A Swarm cluster whose workers\' engines listen with TLS, for exec in their tasks', command: '<%= config.bin %> <%= command.id %> --orchestrator swarm --swarm-node-engine 10.0.0.12=tcp://10.0.0.12:2376 --swarm-node-engine 10.0.0.13=tcp://10.0.0.13:2376 --swarm-node-tls-dir /etc/spin/node-tls'},
    {description: 'With the ingress: web.portal.genomics.localhost on 127.0.0.1:8088 reaches service web', command: '<%= config.bin %> <%= command.id %> --ingress-listen 127.0.0.1:8088'},
    {description: 'With the web dashboard on 127.0.0.1:7879 (`spin dashboard` prints its URL)', command: '<%= config.bin %> <%= command.id %> --dashboard-listen 127.0.0.1:7879'},
    {description: 'On a Swarm manager: the cluster ingress on every interface of the manager, port 80', command: '<%= config.bin %> <%= command.id %> --orchestrator swarm --ingress-listen 0.0.0.0:80 --ingress-domain apps.example.org'},
    {description: 'Routes in an existing Caddy, names under apps.example.org', command: '<%= config.bin %> <%= command.id %> --ingress-listen 0.0.0.0:80 --ingress-admin http://127.0.0.1:2019 --ingress-domain apps.example.org'},
  ];

  static override flags = {
    ...dataDirFlag,
    listen: Flags.string({description: 'Address to listen on, HOST:PORT.', default: '127.0.0.1:7878', helpValue: 'HOST:PORT'}),
    policy: Flags.string({description: 'Policy file to enforce instead of the default policy.', helpValue: 'FILE'}),
    orchestrator: Flags.option({options: ['detect', 'docker', 'swarm'] as const, default: 'detect', description: 'docker: one host; swarm: a Swarm cluster through a manager; detect: swarm when the engine is an active Swarm manager, else docker.'})(),
    'docker-host': Flags.string({description: 'Docker engine to drive (unix:///path or tcp://HOST:PORT). Default: DOCKER_HOST, else the local socket.', helpValue: 'URL'}),
    registry: Flags.string({description: 'The platform registry (HOST[:PORT]); its images are always allowed.', env: 'SPIN_REGISTRY', helpValue: 'HOST'}),
    'tls-cert': Flags.string({description: 'Serve HTTPS with this certificate (PEM).', dependsOn: ['tls-key'], helpValue: 'FILE'}),
    'tls-key': Flags.string({description: 'Private key of --tls-cert (PEM).', dependsOn: ['tls-cert'], helpValue: 'FILE'}),
    'policy-mode': Flags.option({options: ['enforce', 'warn'] as const, default: 'enforce', description: 'enforce: refuse stacks that break the policy; warn: run them and return the violations as warnings (a laptop).'})(),
    insecure: Flags.boolean({description: 'Allow plain HTTP on a non-loopback address (only behind a TLS proxy).'}),
    'publish-host-ip': Flags.string({description: 'Host address published ports bind to when the compose file names none. Default 0.0.0.0.', helpValue: 'IP'}),
    'ingress-listen': Flags.string({description: 'Serve the ingress (routing by host name to healthy replicas) on this address. Default: no ingress.', helpValue: 'HOST:PORT'}),
    'ingress-admin': Flags.string({description: "Drive the existing Caddy whose admin API answers at this loopback URL instead of starting one.", dependsOn: ['ingress-listen'], helpValue: 'URL'}),
    'ingress-domain': Flags.string({description: 'Default host names are SERVICE.STACK.PROJECT.DOMAIN.', default: 'localhost', helpValue: 'DOMAIN'}),
    'dashboard-listen': Flags.string({description: 'Serve the web dashboard on this address (its own listener, same TLS as the API). Default: no dashboard.', helpValue: 'HOST:PORT'}),
    'swarm-node-engine': Flags.string({multiple: true, description: 'Swarm: the engine of a cluster node, for exec in its tasks: NODE (ID or address) = unix:///path or tcp://HOST:2376 (TLS only). Repeatable.', helpValue: 'NODE=URL'}),
    'swarm-node-engines': Flags.string({description: 'Swarm: a file of NODE=URL lines, as --swarm-node-engine.', helpValue: 'FILE'}),
    'swarm-node-tls-dir': Flags.string({description: 'Swarm: ca.pem, cert.pem and key.pem for the tcp:// node engines.', helpValue: 'DIR'}),
    'log-level': Flags.option({options: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, default: 'info', description: 'Least severe log level written to stderr.'})(),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(AgentStart);
    // Listening from the start: a signal during startup must not kill the process before it can stop Caddy.
    const stopRequested = this.stopRequests();
    const [{startAgent}, {defaultDataDir}] = await Promise.all([import('../../lib/agent/server.ts'), import('../../lib/agent/paths.ts')]);
    const dataDir = flags['data-dir'] ?? defaultDataDir();
    const agent = await startAgent({
      dataDir,
      listen: flags.listen,
      policyFile: flags.policy,
      dockerHost: flags['docker-host'],
      registry: flags.registry,
      tlsCert: flags['tls-cert'],
      tlsKey: flags['tls-key'],
      insecure: flags.insecure,
      publishHostIp: flags['publish-host-ip'],
      policyMode: flags['policy-mode'],
      version: this.config.version,
      logLevel: flags['log-level'],
      ingressListen: flags['ingress-listen'],
      ingressAdmin: flags['ingress-admin'],
      ingressDomain: flags['ingress-domain'],
      dashboardListen: flags['dashboard-listen'],
      orchestrator: flags.orchestrator,
      swarmNodeEngines: {entries: flags['swarm-node-engine'], file: flags['swarm-node-engines'], tlsDir: flags['swarm-node-tls-dir']},
    });
    this.err(`spin agent listening on ${agent.url} (data: ${agent.dataDir}; orchestrator: ${agent.orchestrator})${agent.ingressUrl ? `; ingress on ${agent.ingressUrl}` : ''}${agent.dashboardUrl ? `; dashboard on ${agent.dashboardUrl}` : ''}`);
    this.err(`spin agent: ${await stopRequested}, finishing requests in flight`);
    await agent.close();
  }

  /**
   * Resolves with the reason at the first SIGINT, SIGTERM or SIGHUP, or when stderr is closed
   * (`spin agent start 2>&1 | tee log` and Ctrl-C: tee is gone before the agent writes its last
   * lines; a closed log is no reason to crash and leave Caddy behind, but it is one to stop). A
   * second signal exits at once; Caddy is stopped on the way out all the same (CaddyChild).
   */
  private stopRequests(): Promise<string> {
    return new Promise((resolve) => {
      let requested = false;
      const request = (why: string) => {
        if (!requested) {
          requested = true;
          resolve(why);
          return;
        }
        this.err(`spin agent: ${why} again, stopping now`);
        process.exit(ExitCode.failed);
      };
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => request(`${signal} received`));
      process.stderr.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE' && !requested) request('its log output (stderr) was closed');
      });
    });
  }
}
