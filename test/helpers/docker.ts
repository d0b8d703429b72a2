// Helpers for tests that run against the real Docker engine: images built FROM scratch with the
// static busybox (nothing can be pulled here), unique names, and a cleanup that removes only what
// carries a test project's label.

import Docker from 'dockerode';
import {randomBytes} from 'node:crypto';
import {copyFile, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';

import {LABELS, type Orchestrator, type StackRef} from '../../src/lib/engine/types.ts';

export const BUSYBOX = process.env.SPIN_TEST_BUSYBOX ?? '/bin/busybox';

/** A Dockerfile with busybox and its applets as /bin/sh, /bin/wget, /bin/httpd …; add lines after it. */
export const BUSYBOX_DOCKERFILE = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n';

/** Label put on test images so their cleanup finds them. */
export const TEST_IMAGE_LABEL = 'org.spin.test';

export function dockerClient(): Docker {
  return new Docker();
}

/** A name no other run uses: `prefix` + 8 hex characters (a valid DNS label for a lower-case prefix). */
export function uniqueName(prefix = 't'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

/** Fails with a clear message when the engine does not answer (tests need the real engine). */
export async function requireEngine(docker: Docker): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(`the Docker engine does not answer (${(err as Error).message}); start it: setsid dockerd --ip=127.0.0.1 >/tmp/dockerd.log 2>&1 &`, {cause: err});
  }
}

/**
 * Builds an image from a Dockerfile text; the build context holds the busybox binary as `busybox`
 * and `files` (path → content). The image gets the label `org.spin.test=<owner>`.
 */
export async function buildImage(docker: Docker, tag: string, dockerfile: string, options: {files?: Record<string, string | Buffer>; owner?: string} = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'spin-build-'));
  try {
    await writeFile(join(dir, 'Dockerfile'), dockerfile);
    await copyFile(BUSYBOX, join(dir, 'busybox'));
    const src = ['Dockerfile', 'busybox'];
    for (const [path, content] of Object.entries(options.files ?? {})) {
      await mkdir(dirname(join(dir, path)), {recursive: true});
      await writeFile(join(dir, path), content);
      src.push(path);
    }
    const stream = await docker.buildImage({context: dir, src}, {t: tag, rm: true, forcerm: true, labels: {[TEST_IMAGE_LABEL]: options.owner ?? tag}});
    const output = await new Promise<{error?: string; errorDetail?: {message?: string}; stream?: string}[]>((resolve, reject) => {
      docker.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out)));
    });
    const failed = output.find((o) => o.error || o.errorDetail);
    if (failed) throw new Error(`building ${tag} failed: ${failed.error ?? failed.errorDetail?.message}\n${output.map((o) => o.stream ?? '').join('')}`);
    return (await docker.getImage(tag).inspect()).Id;
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}

/** The common test image: busybox applets installed, so `sh`, `httpd`, `wget`, `nslookup` exist. */
export async function buildBusyboxImage(docker: Docker, tag: string, owner?: string): Promise<string> {
  return buildImage(docker, tag, BUSYBOX_DOCKERFILE, {owner});
}

async function quietly(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch {
    // already gone, or in use by something this cleanup removes next
  }
}

/**
 * Removes every container, network and volume labelled with the Spin project `project` (and the
 * images labelled `org.spin.test=<project>`), and nothing else.
 */
export async function cleanupProject(docker: Docker, project: string): Promise<void> {
  const label = [`${LABELS.project}=${project}`];
  const containers = await docker.listContainers({all: true, filters: {label}});
  await Promise.all(containers.filter((c) => c.Labels[LABELS.project] === project).map((c) => quietly(() => docker.getContainer(c.Id).remove({force: true, v: true}))));
  const networks = await docker.listNetworks({filters: {label}});
  for (const n of networks.filter((n) => n.Labels?.[LABELS.project] === project)) await quietly(() => docker.getNetwork(n.Id).remove());
  const volumes = await docker.listVolumes({filters: {label}});
  for (const v of (volumes.Volumes ?? []).filter((v) => v.Labels?.[LABELS.project] === project)) await quietly(() => docker.getVolume(v.Name).remove());
  const images = await docker.listImages({filters: {label: [`${TEST_IMAGE_LABEL}=${project}`]}});
  for (const i of images) await quietly(() => docker.getImage(i.Id).remove({force: true}));
}

/** Runs a command in a replica through an orchestrator and collects what it printed. */
export async function execCollect(orch: Pick<Orchestrator, 'exec'>, ref: StackRef, service: string, cmd: string[], input?: string, index = 1): Promise<{code: number; stdout: string; stderr: string}> {
  const session = await orch.exec(ref, {service, cmd, stdin: input !== undefined, index});
  let stdout = '';
  let stderr = '';
  session.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  session.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (input !== undefined) session.stdin.end(input);
  const code = await session.wait();
  return {code, stdout, stderr};
}
