import assert from 'node:assert/strict';
import {before, describe, test} from 'node:test';

import {Locations} from '../../../src/lib/compose/locations.ts';
import type {Diagnostic, ComposeModel, Service} from '../../../src/lib/compose/types.ts';
import {applyPolicyDefaults, checkPolicy, POLICY_RULES} from '../../../src/lib/policy/check.ts';
import {loadPolicy} from '../../../src/lib/policy/load.ts';
import {RULE_IDS, type Policy, type PolicyContext} from '../../../src/lib/policy/types.ts';

// A compliant service in canonical long form; each test breaks one thing.
function svc(over: Partial<Service> = {}): Service {
  return {
    image: 'busybox:1.36',
    environment: {},
    ports: [],
    volumes: [],
    depends_on: {},
    networks: {},
    secrets: [],
    configs: [],
    cap_add: [],
    cap_drop: ['ALL'],
    security_opt: [],
    devices: [],
    device_cgroup_rules: [],
    volumes_from: [],
    sysctls: {},
    ...over,
  };
}

function project(services: Record<string, Service>, extra: Partial<ComposeModel> = {}): ComposeModel {
  return {name: 'demo', services, networks: {}, volumes: {}, secrets: {}, configs: {}, ...extra};
}

const CTX: PolicyContext = {project: 'demo', uid: 1000, gid: 1000, stack: 'demo'};

let policy: Policy;
before(async () => {
  policy = await loadPolicy();
});

function check(p: ComposeModel, ctx: PolicyContext = CTX, pol: Policy = policy): Diagnostic[] {
  return checkPolicy(p, pol, ctx);
}

/** The diagnostics as `rule path` lines, the shape most assertions compare. */
function summary(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.rule} ${d.path}`);
}

function only(ds: Diagnostic[]): Diagnostic {
  assert.equal(ds.length, 1, `expected one diagnostic, got: ${JSON.stringify(ds, null, 2)}`);
  return ds[0];
}

describe('POLICY_RULES', () => {
  test('lists every rule id once, in the documented order', () => {
    assert.deepEqual(
      POLICY_RULES.map((r) => r.id),
      [...RULE_IDS],
    );
    for (const r of POLICY_RULES) assert.ok(r.summary.length > 10, r.id);
  });
});

describe('a compliant stack', () => {
  test('has no diagnostics', () => {
    const p = project({
      web: svc({
        image: 'nginx:1.27',
        ports: [{target: 80, published: '8080', protocol: 'tcp', mode: 'ingress'}],
        cap_add: ['NET_BIND_SERVICE'],
        volumes: [{type: 'bind', source: '/global/cfs/cdirs/demo/www', target: '/usr/share/nginx/html', read_only: true}],
        user: '1000:1000',
        deploy: {resources: {limits: {memory: 512 * 1024 ** 2, cpus: 0.5}}},
      }),
      db: svc({image: 'postgres:16', volumes: [{type: 'volume', source: 'data', target: '/var/lib/postgresql/data'}], sysctls: {'net.core.somaxconn': '1024', 'kernel.shmmax': '1000'}}),
    }, {volumes: {data: {}}});
    assert.deepEqual(check(p), []);
  });
});

describe('registry', () => {
  const images = (image: string, ctx: PolicyContext = CTX) => check(project({web: svc({image})}), ctx);

  test('Docker Hub images in every spelling are allowed', () => {
    for (const image of ['busybox', 'library/busybox', 'busybox:1.36', 'docker.io/library/busybox', 'index.docker.io/bitnami/redis:7', `nginx@sha256:${'a'.repeat(64)}`]) {
      assert.deepEqual(images(image), [], image);
    }
  });

  test('another registry is refused, naming the image and registry', () => {
    const d = only(images('localhost:5000/x'));
    assert.equal(d.rule, 'registry');
    assert.equal(d.source, 'policy');
    assert.equal(d.severity, 'error');
    assert.equal(d.path, 'services.web.image');
    assert.equal(d.message, 'service "web" uses image "localhost:5000/x" from registry "localhost:5000", which is not allowed');
    assert.match(d.hint!, /docker\.io/);
  });

  test('a digest-pinned image on a foreign registry is refused', () => {
    const d = only(images(`registry.example.org/a/b:tag@sha256:${'0'.repeat(64)}`));
    assert.match(d.message, /registry "registry\.example\.org"/);
  });

  test("the platform registry from the context is allowed in addition, under the project's own path", () => {
    const ctx = {...CTX, registry: 'registry.example.org'};
    assert.deepEqual(images('registry.example.org/demo/b:1', ctx), []);
    assert.deepEqual(images('REGISTRY.example.org/demo/web/b:1', ctx), []);
    assert.equal(images('other.example.org/demo/b:1', ctx).length, 1);
    // Another project's image on the platform registry: the engine may hold it cached.
    const d = only(images('registry.example.org/other/b:1', ctx));
    assert.match(d.message, /outside project "demo"'s path on the platform registry/);
    assert.match(d.hint!, /registry\.example\.org\/demo\//);
    assert.equal(images('registry.example.org/demox/b:1', ctx).length, 1);
  });

  test('paths of the platform registry the policy shares are open to every project', () => {
    const pol: Policy = {...policy, registry: {...policy.registry, shared: ['library']}};
    const ctx = {...CTX, registry: 'registry.example.org'};
    assert.deepEqual(check(project({web: svc({image: 'registry.example.org/library/base:1'})}), ctx, pol), []);
    assert.equal(check(project({web: svc({image: 'registry.example.org/other/base:1'})}), ctx, pol).length, 1);
  });

  test('an image ID or ID prefix is refused: images run by name', () => {
    for (const id of [`sha256:${'ab'.repeat(32)}`, 'sha256:abcd', 'abcdef012345', 'ABCDEF0123456789']) {
      const d = only(images(id));
      assert.match(d.message, /by its ID/, id);
    }
    assert.deepEqual(images(`busybox@sha256:${'0'.repeat(64)}`), []);
  });

  test('a registry entry with a {project} path prefix admits only that project', () => {
    const pol: Policy = {...policy, registry: {allowed: ['ghcr.io/{project}'], shared: []}};
    assert.deepEqual(check(project({web: svc({image: 'ghcr.io/demo/app:1'})}), CTX, pol), []);
    assert.equal(check(project({web: svc({image: 'ghcr.io/other/app:1'})}), CTX, pol).length, 1);
    assert.equal(check(project({web: svc({image: 'ghcr.io/demoX/app:1'})}), CTX, pol).length, 1);
  });

  test('an invalid reference is reported as such', () => {
    const d = only(images('Bad Image'));
    assert.equal(d.message, 'service "web" has image "Bad Image", which is not a valid image reference');
  });

  test('a build-only service is skipped', () => {
    const s = svc({build: {context: '/src'}});
    delete s.image;
    assert.deepEqual(check(project({web: s})), []);
  });
});

describe('privileged', () => {
  test('privileged: true is refused, false is fine', () => {
    const d = only(check(project({web: svc({privileged: true})})));
    assert.equal(d.rule, 'privileged');
    assert.equal(d.path, 'services.web.privileged');
    assert.equal(d.message, 'service "web" sets privileged: true');
    assert.deepEqual(check(project({web: svc({privileged: false})})), []);
  });
});

describe('capabilities', () => {
  test('cap_drop must include ALL', () => {
    const d = only(check(project({web: svc({cap_drop: ['NET_RAW']})})));
    assert.equal(d.rule, 'capabilities');
    assert.equal(d.path, 'services.web.cap_drop');
    assert.equal(d.message, 'service "web" must drop all capabilities, but cap_drop is [NET_RAW]');
    assert.match(d.hint!, /cap_drop: \[ALL\]/);
    assert.equal(only(check(project({web: svc({cap_drop: []})}))).message, 'service "web" must drop all capabilities, but cap_drop is not set');
  });

  test('ALL is matched case-insensitively', () => {
    assert.deepEqual(check(project({web: svc({cap_drop: ['all']})})), []);
  });

  test('cap_add outside the list is refused, by index; names are case-insensitive with optional CAP_', () => {
    const ds = check(project({web: svc({cap_add: ['chown', 'CAP_SYS_ADMIN', 'cap_net_bind_service', 'NET_ADMIN']})}));
    assert.deepEqual(summary(ds), ['capabilities services.web.cap_add[1]', 'capabilities services.web.cap_add[3]']);
    assert.equal(ds[0].message, 'service "web" adds capability "CAP_SYS_ADMIN", which is not allowed');
    assert.match(ds[0].hint!, /remove "CAP_SYS_ADMIN" from cap_add of service "web"; allowed: CHOWN, DAC_OVERRIDE/);
  });

  test('require_drop_all can be switched off by the policy', () => {
    const pol: Policy = {...policy, capabilities: {...policy.capabilities, require_drop_all: false}};
    assert.deepEqual(check(project({web: svc({cap_drop: []})}), CTX, pol), []);
  });
});

describe('host-namespaces', () => {
  test('host and container: modes are refused; service: and private modes are fine', () => {
    const bad = svc({network_mode: 'host', pid: 'host', ipc: 'container:abc', uts: 'host', userns_mode: 'host', cgroup: 'host'});
    const ds = check(project({web: bad}));
    assert.deepEqual(summary(ds), [
      'host-namespaces services.web.network_mode',
      'host-namespaces services.web.ipc',
      'host-namespaces services.web.pid',
      'host-namespaces services.web.uts',
      'host-namespaces services.web.userns_mode',
      'host-namespaces services.web.cgroup',
    ]);
    assert.equal(ds[0].message, `service "web" uses the host's network namespace (network_mode: host), which the platform does not allow`);
    assert.equal(ds[1].message, `service "web" uses container "abc"'s IPC namespace (ipc: container:abc), which the platform does not allow`);
    const good = svc({network_mode: 'service:db', ipc: 'shareable', cgroup: 'private'});
    assert.deepEqual(check(project({web: good, db: svc({network_mode: 'none', ipc: 'private'})})), []);
  });

  test('network_mode is an allow-list: engine networks, the default bridge and other stacks are refused', () => {
    for (const mode of ['bridge', 'default', 'other.stack', 'f0e1d2c3b4a5', 'container:web']) {
      const d = only(check(project({web: svc({network_mode: mode}), db: svc()})));
      assert.equal(d.path, 'services.web.network_mode', mode);
      assert.match(d.hint!, /"none" or "service:<name>"/);
    }
    // service: must name another service of this stack.
    assert.match(only(check(project({web: svc({network_mode: 'service:ghost'})}))).message, /of "ghost" \(network_mode: service:ghost\), which is not another service of this stack/);
    assert.equal(check(project({web: svc({network_mode: 'service:web'})})).length, 1);
  });

  test('pid, uts and userns_mode accept no value at all', () => {
    assert.deepEqual(summary(check(project({web: svc({pid: 'service:db', uts: 'private', userns_mode: 'keep-id'}), db: svc()}))), [
      'host-namespaces services.web.pid',
      'host-namespaces services.web.uts',
      'host-namespaces services.web.userns_mode',
    ]);
  });
});

describe('security-opt', () => {
  test('refused values in = and : spellings; options not on the allowed list are refused too', () => {
    const s = svc({security_opt: ['no-new-privileges:true', 'seccomp:unconfined', 'apparmor=unconfined', 'label=disable', 'label:disable', 'systempaths=unconfined', 'label=type:svirt_apache_t', 'no-new-privileges', 'apparmor:docker-default']});
    const ds = check(project({web: s}));
    assert.deepEqual(
      ds.map((d) => d.path),
      ['services.web.security_opt[1]', 'services.web.security_opt[2]', 'services.web.security_opt[3]', 'services.web.security_opt[4]', 'services.web.security_opt[5]', 'services.web.security_opt[6]'],
    );
    assert.equal(ds[0].message, 'service "web" sets security_opt "seccomp:unconfined", which turns off a protection the platform requires');
    assert.equal(ds[0].hint, 'remove "seccomp:unconfined" from security_opt of service "web"');
    assert.equal(ds[5].message, 'service "web" sets security_opt "label=type:svirt_apache_t", which is not one the platform allows');
  });

  test('an inline seccomp profile is refused, however permissive (profiles are named only)', () => {
    const allowAll = JSON.stringify({defaultAction: 'SCMP_ACT_ALLOW', syscalls: []});
    const d = only(check(project({web: svc({security_opt: [`seccomp=${allowAll}`]})})));
    assert.match(d.message, /which is not one the platform allows/);
    assert.ok(d.message.length < 200, 'the profile is shortened in the message');
  });
});

describe('bind-mounts', () => {
  const bind = (source: string) => ({type: 'bind', source, target: '/data'});
  // Run as the caller, so that the global-fs rule stays quiet about these /global paths.
  const mounts = (sources: string[], ctx: PolicyContext = CTX) => check(project({web: svc({user: '1000:1000', volumes: sources.map(bind)})}), ctx);

  test('host paths under the project root are allowed', () => {
    assert.deepEqual(mounts(['/global/cfs/cdirs/demo', '/global/cfs/cdirs/demo/www/']), []);
  });

  test('other projects, the parent folder, look-alikes and traversal are refused', () => {
    const ds = mounts(['/global/cfs/cdirs/other/x', '/global/cfs/cdirs', '/global/cfs/cdirs/demo2', '/global/cfs/cdirs/demo/../other']);
    assert.deepEqual(summary(ds), [0, 1, 2, 3].map((i) => `bind-mounts services.web.volumes[${i}]`));
    assert.equal(ds[0].message, 'service "web" mounts host path "/global/cfs/cdirs/other/x", outside the allowed roots /global/cfs/cdirs/demo');
    assert.equal(ds[3].message, 'service "web" mounts host path "/global/cfs/cdirs/other", outside the allowed roots /global/cfs/cdirs/demo');
    assert.equal(ds[0].hint, 'mount a folder under /global/cfs/cdirs/demo, or use a named volume instead of a host path');
  });

  test('the Docker socket, /, /etc, /proc, /sys and folders containing them are never allowed', () => {
    const ds = mounts(['/var/run/docker.sock', '/run/docker.sock', '/', '/etc/passwd', '/proc', '/sys/fs/cgroup', '/var/run']);
    assert.equal(ds.length, 7);
    assert.equal(ds[0].message, 'service "web" mounts host path "/var/run/docker.sock", which is never allowed');
    assert.equal(ds[3].message, 'service "web" mounts host path "/etc/passwd", inside "/etc", which is never allowed');
    assert.equal(ds[6].message, 'service "web" mounts host path "/var/run", which contains the forbidden path "/var/run/docker.sock"');
  });

  test('without a project, {project} matches any one folder', () => {
    assert.deepEqual(mounts(['/global/cfs/cdirs/anyone/x'], {}), []);
    assert.equal(mounts(['/global/cfs/cdirs'], {}).length, 1);
  });

  test('a project name that would escape its folder matches nothing', () => {
    assert.equal(mounts(['/global/cfs/cdirs/x'], {project: '..'}).length, 1);
  });

  test('a local volume with o: bind counts as a bind mount of its device', () => {
    const p = project(
      {web: svc({volumes: [{type: 'volume', source: 'host', target: '/data'}]})},
      {volumes: {host: {driver: 'local', driver_opts: {type: 'none', o: 'bind', device: '/etc'}}, ok: {driver_opts: {o: 'bind', device: '/global/cfs/cdirs/demo/data'}}}},
    );
    const d = only(check(p));
    assert.equal(d.rule, 'bind-mounts');
    assert.equal(d.path, 'volumes.host.driver_opts.device');
    assert.equal(d.message, 'volume "host" (driver_opts o: bind) mounts host path "/etc", which is never allowed');
  });

  test('a relative bind source is refused', () => {
    assert.match(only(mounts(['data'])).message, /"data", which is not an absolute path/);
  });
});

describe('global-fs', () => {
  const onGlobal = (over: Partial<Service>, ctx: PolicyContext = CTX) =>
    check(project({web: svc({volumes: [{type: 'bind', source: '/global/cfs/cdirs/demo/x', target: '/x'}], ...over})}), ctx);

  test('the caller\'s numeric UID:GID is required', () => {
    assert.deepEqual(onGlobal({user: '1000:1000'}), []);
    const none = only(onGlobal({}));
    assert.equal(none.rule, 'global-fs');
    assert.equal(none.path, 'services.web.user');
    assert.equal(none.message, `service "web" mounts "/global/cfs/cdirs/demo/x" from a global file system but runs as the image's default user; it must run as a numeric UID:GID`);
    assert.equal(none.hint, 'set user: "1000:1000" on service "web" (your numeric user and group ids, as `id -u` and `id -g` print them)');
    assert.match(only(onGlobal({user: 'www-data'})).message, /runs as user "www-data"; it must run as a numeric UID:GID/);
    assert.match(only(onGlobal({user: '1000'})).message, /runs as user "1000"; it must run as a numeric UID:GID/);
    assert.match(only(onGlobal({user: '0:1000'})).message, /runs as root \(user "0:1000"\)/);
    assert.match(only(onGlobal({user: '1000:0'})).message, /runs as root/);
    assert.match(only(onGlobal({user: '1001:1000'})).message, /runs as user "1001:1000", not as your identity "1000:1000"/);
  });

  test('without a known identity any non-root numeric user is accepted', () => {
    assert.deepEqual(onGlobal({user: '4242:4242'}, {project: 'demo'}), []);
  });

  test('only NET_BIND_SERVICE may be added', () => {
    const ds = onGlobal({user: '1000:1000', cap_add: ['NET_BIND_SERVICE', 'CHOWN']});
    assert.deepEqual(summary(ds), ['global-fs services.web.cap_add[1]']);
    assert.match(ds[0].message, /adds capability "CHOWN"; such a service may add only NET_BIND_SERVICE/);
  });

  test('a bind-typed named volume on the global file system counts', () => {
    const p = project(
      {web: svc({volumes: [{type: 'volume', source: 'g', target: '/x'}]})},
      {volumes: {g: {driver_opts: {o: 'bind', device: '/global/cfs/cdirs/demo/g'}}}},
    );
    assert.deepEqual(summary(check(p)), ['global-fs services.web.user']);
  });

  test('services without global mounts may run as any user', () => {
    assert.deepEqual(check(project({web: svc({user: 'root'})})), []);
  });
});

describe('ports', () => {
  const port = (published: string | undefined, target = 80) => ({target, published, protocol: 'tcp', mode: 'ingress'});
  const publish = (...ps: ReturnType<typeof port>[]) => check(project({web: svc({ports: ps})}));

  test('allowed ports and ranges inside the allowed range pass', () => {
    assert.deepEqual(publish(port('8080'), port('8443'), port('60000-60050')), []);
  });

  test('a port outside the ranges is refused with the allowed list', () => {
    const d = only(publish(port('9000')));
    assert.equal(d.rule, 'ports');
    assert.equal(d.path, 'services.web.ports[0].published');
    assert.equal(d.message, 'service "web" publishes host port 9000, outside the allowed ports 8080, 8443, 60000-60050');
    assert.equal(d.hint, 'publish port 80 on an allowed host port instead, e.g. "8080:80" (allowed: 8080, 8443, 60000-60050)');
  });

  test('ranges are checked port by port', () => {
    const d = only(publish(port('60040-60060')));
    assert.equal(d.message, 'service "web" publishes host ports 60040-60060 (60051-60060 not allowed), outside the allowed ports 8080, 8443, 60000-60050');
  });

  test('a port without a published host port is refused', () => {
    const d = only(publish(port(undefined, 5432)));
    assert.equal(d.path, 'services.web.ports[0]');
    assert.equal(d.message, 'service "web" exposes port 5432 on a random host port');
    assert.match(d.hint!, /^publish it on an allowed host port, e\.g\. "8080:5432"/);
  });

  test('a garbled published value is refused', () => {
    assert.match(only(publish(port('80-70'))).message, /publishes "80-70", which is not a host port or range/);
  });

  test('a site can change the ranges', () => {
    const pol: Policy = {...policy, ports: {...policy.ports, allowed: [{min: 9000, max: 9010}]}};
    assert.deepEqual(check(project({web: svc({ports: [port('9005')]})}), CTX, pol), []);
  });
});

describe('names', () => {
  test('service and stack names must be DNS labels', () => {
    const ds = check(project({Web_App: svc(), ok: svc()}), {...CTX, stack: 'My.Stack'});
    assert.deepEqual(summary(ds), ['names undefined', 'names services.Web_App']);
    assert.equal(ds[0].message, 'stack name "My.Stack" does not match the naming rule ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$');
    assert.equal(ds[1].hint, 'rename it to lower-case letters, digits and "-" (at most 63, not starting or ending with "-"), e.g. "web-app"');
  });

  test('the stack named like the project points at `name`', () => {
    const p = {...project({web: svc()}), name: 'Demo'};
    assert.deepEqual(summary(check(p, {...CTX, stack: 'Demo'})), ['names name']);
  });

  test('63 characters pass, 64 do not; no leading or trailing dash', () => {
    assert.deepEqual(check(project({['a'.repeat(63)]: svc()})), []);
    for (const bad of ['a'.repeat(64), '-web', 'web-', 'WEB']) assert.equal(check(project({[bad]: svc()})).length, 1, bad);
  });
});

describe('isolation', () => {
  test('container_name and cgroup_parent are refused', () => {
    const ds = check(project({web: svc({container_name: 'fixed', cgroup_parent: 'm-executor-abcd'})}));
    assert.deepEqual(summary(ds), ['isolation services.web.container_name', 'isolation services.web.cgroup_parent']);
    assert.equal(ds[0].message, 'service "web" sets container_name "fixed"; the platform names containers itself');
  });

  test('external networks and volumes must belong to the project', () => {
    const p = project(
      {web: svc()},
      {
        networks: {shared: {external: true, name: 'other_net'}, mine: {external: true, name: 'demo_net'}, bare: {external: true}, own: {name: 'x'}},
        volumes: {theirs: {external: true, name: 'other-data'}, ours: {external: true, name: 'demo-data'}},
      },
    );
    const ds = check(p);
    // "demo-data" could be project "demo-data"'s: only "." and "_", which no project name holds, mark ownership.
    assert.deepEqual(summary(ds), ['isolation networks.shared.external', 'isolation networks.bare.external', 'isolation volumes.theirs.external', 'isolation volumes.ours.external']);
    assert.deepEqual(summary(check(project({web: svc()}, {networks: {n: {external: true, name: 'demo.stack'}}, volumes: {v: {external: true, name: 'demo.data'}}}))), []);
    assert.equal(ds[0].message, 'network "shared" is the external network "other_net", which does not belong to project "demo"');
    assert.equal(ds[1].message, 'network "bare" is the external network "bare", which does not belong to project "demo"');
  });

  test('the external name is pointed at when the file wrote one', () => {
    const loc = new Locations();
    loc.set(['networks', 'shared', 'name'], {file: 'c.yaml', line: 7, column: 11});
    const p = project({web: svc()}, {networks: {shared: {external: true, name: 'other_net'}}});
    const d = only(checkPolicy(p, policy, CTX, loc));
    assert.equal(d.path, 'networks.shared.name');
    assert.deepEqual(d.location, {file: 'c.yaml', line: 7, column: 11});
  });

  test('without a project, external objects are not judged', () => {
    const p = project({web: svc()}, {networks: {shared: {external: true, name: 'other_net'}}});
    assert.deepEqual(check(p, {}), []);
  });

  test('volumes_from: services of the stack only', () => {
    const s = svc({volumes_from: ['db', 'service:db:ro', 'container:abc', 'stranger:rw']});
    const ds = check(project({web: s, db: svc()}));
    assert.deepEqual(summary(ds), ['isolation services.web.volumes_from[2]', 'isolation services.web.volumes_from[3]']);
    assert.equal(ds[0].message, 'service "web" mounts the volumes of "abc" (volumes_from: container:abc), which is not a service of this stack');
  });

  test('sysctls outside the namespaced allowlist are refused', () => {
    const s = svc({sysctls: {'net.ipv4.ip_forward': '1', 'kernel.msgmax': '65536', 'kernel.shm_rmid_forced': '1', 'fs.mqueue.msg_max': '20', 'kernel.core_pattern': '|/bin/sh', 'vm.swappiness': '0', 'kernel.semx': '1'}});
    const ds = check(project({web: s}));
    assert.deepEqual(summary(ds), ['isolation services.web.sysctls["kernel.core_pattern"]', 'isolation services.web.sysctls["vm.swappiness"]', 'isolation services.web.sysctls["kernel.semx"]']);
    assert.equal(ds[0].message, 'service "web" sets sysctl "kernel.core_pattern", which is not namespaced and would affect the whole host');
  });
});

describe('resources', () => {
  const G = 1024 ** 3;

  test('limits at or below the maximum pass', () => {
    assert.deepEqual(check(project({web: svc({mem_limit: 16 * G, cpus: 8, deploy: {resources: {limits: {memory: G, cpus: 0.5}}}})})), []);
  });

  test('limits above the maximum are refused, in every spelling', () => {
    const ds = check(project({web: svc({mem_limit: 32 * G, cpus: 16, deploy: {resources: {limits: {memory: 64 * G, cpus: 9}}}})}));
    assert.deepEqual(summary(ds), [
      'resources services.web.deploy.resources.limits.memory',
      'resources services.web.mem_limit',
      'resources services.web.deploy.resources.limits.cpus',
      'resources services.web.cpus',
    ]);
    assert.equal(ds[0].message, 'service "web" sets deploy.resources.limits.memory to 64g, more than the maximum 16g');
    assert.equal(ds[0].hint, 'set deploy.resources.limits.memory to at most 16g, or leave it out to get the default 1g');
    assert.equal(ds[3].message, 'service "web" sets cpus to 16, more than the maximum 8');
  });

  test('0 and -1 mean no limit and are refused', () => {
    assert.match(only(check(project({web: svc({mem_limit: 0})}))).message, /sets mem_limit to 0, which means no limit; the maximum is 16g/);
    assert.match(only(check(project({web: svc({cpus: -1})}))).message, /sets cpus to -1, which means no limit/);
  });

  test('applyPolicyDefaults fills missing limits and leaves the input alone', () => {
    const input = project({web: svc(), big: svc({mem_limit: 2 * G}), limited: svc({deploy: {replicas: 2, resources: {limits: {cpus: 2}}}})});
    const before = structuredClone(input);
    const out = applyPolicyDefaults(input, policy);
    assert.deepEqual(input, before);
    assert.deepEqual(out.services.web.deploy, {resources: {limits: {memory: G, cpus: 1, pids: 1024}}});
    assert.deepEqual(out.services.big.deploy, {resources: {limits: {cpus: 1, pids: 1024}}});
    assert.equal(out.services.big.mem_limit, 2 * G);
    assert.deepEqual(out.services.limited.deploy, {replicas: 2, resources: {limits: {cpus: 2, memory: G, pids: 1024}}});
    assert.deepEqual(check(out), []);
  });

  test('with all limits set, the service object is reused', () => {
    const s = svc({mem_limit: 1, cpus: 1, pids_limit: 100});
    assert.equal(applyPolicyDefaults(project({web: s}), policy).services.web, s);
  });
});

describe('disabled rules', () => {
  test('a rule switched off does not run', () => {
    const p = project({web: svc({privileged: true, container_name: 'x'})});
    const pol: Policy = {...policy, disabled_rules: ['privileged']};
    assert.deepEqual(summary(check(p, CTX, pol)), ['isolation services.web.container_name']);
  });

  test('with resources off, no defaults are applied', () => {
    const p = project({web: svc()});
    assert.equal(applyPolicyDefaults(p, {...policy, disabled_rules: ['resources']}), p);
  });
});

describe('robustness', () => {
  test('a model with missing collections does not crash', () => {
    const p = {name: 'demo', services: {web: {image: 'busybox', cap_drop: ['ALL']}}} as unknown as ComposeModel;
    assert.deepEqual(check(p), []);
  });

  test('locations place diagnostics at the offending line', () => {
    const loc = new Locations();
    loc.set(['services', 'web'], {file: 'c.yaml', line: 2, column: 3});
    loc.set(['services', 'web', 'cap_add', 1], {file: 'c.yaml', line: 9, column: 9});
    const ds = checkPolicy(project({web: svc({cap_add: ['CHOWN', 'SYS_ADMIN'], privileged: true})}), policy, CTX, loc);
    assert.deepEqual(
      ds.map((d) => [d.rule, d.location?.line]),
      [
        ['privileged', 2],
        ['capabilities', 9],
      ],
    );
  });
});

describe('the bounds an attacker tried (issue: the API interceptor as an allow-list)', () => {
  const G = 1024 ** 3;

  test('replicas and services per stack are capped', () => {
    assert.deepEqual(summary(check(project({web: svc({deploy: {replicas: 100000}})}))), ['resources services.web.deploy.replicas']);
    assert.deepEqual(summary(check(project({web: svc({scale: 101})}))), ['resources services.web.scale']);
    assert.deepEqual(check(project({web: svc({deploy: {replicas: 100}})})), []);
    const many = Object.fromEntries(Array.from({length: 101}, (_, i) => [`s${i}`, svc()]));
    assert.deepEqual(summary(check(project(many))), ['resources services']);
  });

  test('shm_size, memswap_limit, oom_score_adj and ulimits are bounded', () => {
    const ds = check(project({web: svc({shm_size: 8 * G, memswap_limit: -1, oom_score_adj: -1000, ulimits: {nofile: {soft: 1024, hard: 99999999}, rtprio: 99, core: 1}})}));
    assert.deepEqual(summary(ds), [
      'resources services.web.shm_size',
      'resources services.web.memswap_limit',
      'resources services.web.oom_score_adj',
      'resources services.web.ulimits.nofile',
      'resources services.web.ulimits.rtprio',
      'resources services.web.ulimits.core',
    ]);
    assert.deepEqual(check(project({web: svc({shm_size: 256 * 1024 ** 2, memswap_limit: 2 * G, oom_score_adj: 500, ulimits: {nofile: 65536, nproc: {soft: 100, hard: 200}}})})), []);
  });

  test('services run with a pids limit by default, within the maximum', () => {
    const out = applyPolicyDefaults(project({web: svc()}), policy);
    assert.equal(out.services.web.deploy?.resources?.limits?.pids, 1024);
    assert.deepEqual(summary(check(project({web: svc({pids_limit: 100000})}))), ['resources services.web.pids_limit']);
    assert.deepEqual(summary(check(project({web: svc({pids_limit: -1})}))), ['resources services.web.pids_limit']);
  });

  test('group_add: no root group or group names anywhere; only your own group on a global file system', () => {
    assert.deepEqual(summary(check(project({web: svc({group_add: ['0', 'root', 'disk', '2000']})}))), ['isolation services.web.group_add[0]', 'isolation services.web.group_add[1]', 'isolation services.web.group_add[2]']);
    const onGlobal = svc({user: '1000:1000', group_add: ['1000', '2000'], volumes: [{type: 'bind', source: '/global/cfs/cdirs/demo/data', target: '/data'}]});
    assert.deepEqual(summary(check(project({web: onGlobal}))), ['global-fs services.web.group_add[1]']);
  });

  test('links name services of this stack only', () => {
    assert.deepEqual(summary(check(project({web: svc({links: ['db:database', 'other_db']}), db: svc()}))), ['isolation services.web.links[1]']);
  });

  test('host_ip only from the policy list', () => {
    const p = (host_ip: string) => project({web: svc({ports: [{target: 80, published: '8080', host_ip, protocol: 'tcp', mode: 'ingress'}]})});
    assert.deepEqual(summary(check(p('10.1.2.3'))), ['ports services.web.ports[0].host_ip']);
    assert.deepEqual(check(p('127.0.0.1')), []);
  });

  test('mounts: only bind, volume and tmpfs; no shared propagation', () => {
    const ds = check(
      project({
        web: svc({
          volumes: [
            {type: 'image', source: 'other/image:1', target: '/img'},
            {type: 'npipe', source: '//./pipe/docker_engine', target: '/pipe'},
            {type: 'bind', source: '/global/cfs/cdirs/demo/x', target: '/x', bind: {propagation: 'rshared'}},
          ],
          user: '1000:1000',
        }),
      }),
    );
    assert.deepEqual(summary(ds), ['bind-mounts services.web.volumes[0].type', 'bind-mounts services.web.volumes[1].type', 'bind-mounts services.web.volumes[2].bind.propagation']);
  });

  test('a named volume may not mount a kernel or overlay file system', () => {
    const p = project({web: svc({volumes: [{type: 'volume', source: 'k', target: '/k'}]})}, {volumes: {k: {driver_opts: {type: 'proc', device: 'proc'}}, o: {driver_opts: {type: 'overlay', o: 'lowerdir=/', device: 'overlay'}}}});
    assert.deepEqual(summary(check(p)), ['volumes volumes.k.driver_opts.type', 'volumes volumes.o.driver_opts.type']);
  });

  test("a network's driver options (the engine's own bridge) and macvlan are refused", () => {
    const p = project({web: svc()}, {networks: {n: {driver_opts: {'com.docker.network.bridge.name': 'docker0'}}, m: {driver: 'macvlan', driver_opts: {parent: 'eth0'}}}});
    assert.deepEqual(summary(check(p)), ['networks networks.n.driver_opts', 'networks networks.m.driver', 'networks networks.m.driver_opts']);
  });

  test('a log driver that sends logs elsewhere is refused', () => {
    const d = only(check(project({web: svc({logging: {driver: 'gelf', options: {}}})})));
    assert.equal(d.rule, 'logging');
    assert.deepEqual(summary(check(project({web: svc({logging: {driver: 'json-file', options: {'max-size': '10m', 'fluentd-address': '127.0.0.1:24224'}}})}))), ['logging services.web.logging.options.fluentd-address']);
  });

  test('secret files: no root owner, no setuid', () => {
    const s = svc({user: '1000:1000', secrets: [{source: 'a', uid: '0', mode: 0o4755}, {source: 'b', mode: 0o440, gid: '1000'}]});
    assert.deepEqual(summary(check(project({web: s}))), ['files services.web.secrets[0].uid', 'files services.web.secrets[0].mode']);
  });
});
