// The one way deploy, up, upgrade, rollback and scale show a stack change (lib/client/pipeline.ts
// does the change). Without --json: build and push progress, warnings and the agent's progress
// on stderr, then the result table (or the plan of a dry run) and where the stack answers on
// stdout. With --json: one event per line on stdout, then exactly one `{"type":"result",…}`
// line; errors end it with a `{"type":"error",…}` line (base.ts). Either way a change that did
// not end healthy exits as outcome.ts says.

import type {PipelineListener, PipelineOptions} from '../lib/client/pipeline.ts';
import type {Factory} from './factory.ts';

export interface ShowChange {
  json: boolean;
  dryRun?: boolean;
  /** The change in the failure message, e.g. `deploy`, `scaling stack "portal" to web=3`. */
  operation: (stack: string) => string;
  /** Fields added to the JSON result line (up: the agent it deployed to). */
  extra?: Record<string, unknown>;
}

export async function runStackChange(factory: Factory, options: Omit<PipelineOptions, 'docker' | 'on'>, show: ShowChange): Promise<void> {
  const [{changeStack}, {outcomeError}, {renderDiagnostics}, {createProgress}, ui] = await Promise.all([
    import('../lib/client/pipeline.ts'),
    import('../lib/client/outcome.ts'),
    import('../lib/ui/diagnostics.ts'),
    import('../lib/ui/progress.ts'),
    import('../lib/ui/deploy.ts'),
  ]);
  const {stdout, stderr} = factory;
  const writeLine = (json: unknown) => stdout.stream.write(`${JSON.stringify(json)}\n`);
  const progress = show.json ? undefined : createProgress(stderr.stream, stderr.terminal);
  const renderers = await buildRenderers(factory);
  const on: PipelineListener = {
    warnings: (d) => void stderr.stream.write(renderDiagnostics(d, {color: stderr.terminal.color, cwd: factory.cwd})),
    build: (e) => renderers.build(e),
    push: (e) => renderers.push(e),
    event: (e) => (progress ? progress.event(e) : writeLine(e)),
  };
  let changed;
  try {
    changed = await changeStack({...options, docker: () => factory.docker(), on});
  } catch (err) {
    await renderers.failed(err);
    throw err;
  } finally {
    renderers.done();
    progress?.done();
  }
  const {stack, result} = changed;
  if (show.json) {
    writeLine({type: 'result', project: options.project, stack, ...show.extra, ...result});
  } else if (show.dryRun) {
    stdout.stream.write(ui.renderPlan(result.plan, {color: stdout.terminal.color}));
  } else {
    stderr.stream.write(ui.renderFailureLogs(result));
    stdout.stream.write(ui.renderResult(options.project, stack, result, {color: stdout.terminal.color}));
    stdout.stream.write(ui.renderUrls(result));
  }
  const failure = outcomeError(result, show.operation(stack));
  if (failure) throw failure;
}

/**
 * Build and push progress on stderr, each renderer made at its first event: only a deploy that
 * builds has any, and the push renderer of a TTY runs a redraw timer.
 */
async function buildRenderers(factory: Factory) {
  const {stream, terminal} = factory.stderr;
  const ui = await import('../lib/ui/build.ts');
  let building: ReturnType<typeof ui.createBuildRenderer> | undefined;
  let pushing: ReturnType<typeof ui.createPushRenderer> | undefined;
  return {
    build(e: Parameters<NonNullable<PipelineListener['build']>>[0]) {
      building ??= ui.createBuildRenderer(stream, terminal, {plain: !terminal.tty});
      building.event(e);
    },
    push(e: Parameters<NonNullable<PipelineListener['push']>>[0]) {
      pushing ??= ui.createPushRenderer(stream, terminal);
      pushing.event(e);
    },
    /** A failed build step on a TTY: its output, which the condensed view did not show. */
    async failed(err: unknown) {
      if (!terminal.tty || !building) return;
      const {BuildFailedError} = await import('../lib/images/build.ts');
      if (err instanceof BuildFailedError) stream.write(ui.renderBuildFailure(err, terminal.color));
    },
    done() {
      building?.done();
      pushing?.done();
    },
  };
}
