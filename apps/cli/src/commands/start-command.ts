/**
 * `oxbow start` (what `npm start` runs): the main job on the local stack. Brings the stack up, starts the
 * archiver, the speed layer and the serving API, produces demo traffic, runs a batch whenever a new epoch is
 * sealed, and prints the API address with example requests. Ctrl-C (or SIGTERM) stops everything it started.
 * An app that fails to start, or stops on its own later (the archiver's run ends, the speed layer stops), is
 * reported (`start: <app> failed: <reason>`), everything else is stopped, and the command exits 1.
 */
import { runArchiver } from '@oxbow/archiver';
import { runBatch } from '@oxbow/batch';
import type { OxbowConfig } from '@oxbow/config';
import { ensureDashboardBuilt } from '@oxbow/dashboard';
import { startServing } from '@oxbow/serving';
import { startSpeed } from '@oxbow/speed';
import { loadProject, type Project, resolveProjectPath } from '@oxbow/views';
import { Partitioners } from 'kafkajs';
import { createKafka } from '../clients.ts';
import { stackUp } from '../stack/stack.ts';
import { ensureTopic, plannedMessages, sendAtRate } from './produce-command.ts';
import type { CommandEnvironment } from './stack-command.ts';

/** Epoch length of the demo when none is configured: a minute, so batch runs show up quickly. */
const DEMO_EPOCH_MS = 60_000;
/** Demo traffic per topic, events per second. */
const DEMO_RATE = 50;

function abortedBy(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}

/** Resolves when `signal` aborts. */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** An app of `oxbow start` that failed: which one, and why. */
interface AppFailure {
  readonly app: string;
  readonly reason: string;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs the main job until interrupted; returns 1 as soon as one of its apps fails.
 *
 * @param epochFromConfig whether the epoch length was set by the user (else the demo uses one minute)
 */
export async function runStart(env: CommandEnvironment, epochFromConfig: boolean): Promise<number> {
  const { output, clock } = env;
  const config: OxbowConfig = epochFromConfig ? env.config : { ...env.config, epochMs: DEMO_EPOCH_MS };
  const say = (text: string) => output.out(`start: ${text}`);
  // With OXBOW_REDIS_CLUSTER=yes the apps use Redis Cluster: the local stack starts its three-node cluster too.
  await stackUp({
    config,
    clock,
    output,
    ...(config.redisCluster === 'yes' ? { with: ['redis-cluster'] } : {}),
  });
  // The page the serving API shows at `/`: built once (Vite, a few seconds) when the bundle is missing.
  await ensureDashboardBuilt().then(
    (built) => built && say('built the dashboard (npm run build:dashboard)'),
    (error: unknown) => say(`the dashboard could not be built (GET / answers 404): ${String(error)}`),
  );

  const stop = new AbortController();
  const onTerm = () => stop.abort();
  process.once('SIGTERM', onTerm);
  const signal = abortedBy([stop.signal, env.signal]);

  const project = await loadProject(resolveProjectPath(config.project));
  const topics = [...project.topics.keys()];
  say(
    `project ${project.source}: ${topics.length} topics, ${project.views.length} views, ${project.liveViews.length} live views`,
  );
  const kafka = createKafka(config, 'oxbow-start');
  for (const topic of topics) await ensureTopic(kafka, topic, output);

  say(
    `epoch length ${config.epochMs / 1000} s${epochFromConfig ? '' : ' (demo default; set OXBOW_EPOCH_MS to change)'}`,
  );
  // The first failure of any app; the apps started so far are stopped by `stopApps`.
  let failed: (failure: AppFailure) => void = () => undefined;
  const failure = new Promise<AppFailure>((resolve) => {
    failed = resolve;
  });
  const stopApps = new AbortController();
  const appSignal = abortedBy([signal, stopApps.signal]);
  const archiver = runArchiver(config, appSignal, { log: () => undefined });
  void archiver.then(
    () => {
      if (!appSignal.aborted) failed({ app: 'archiver', reason: 'it stopped on its own' });
    },
    (error: unknown) => failed({ app: 'archiver', reason: reasonOf(error) }),
  );
  let speed: Awaited<ReturnType<typeof startSpeed>> | undefined;
  let serving: Awaited<ReturnType<typeof startServing>> | undefined;
  /** Apps that finished starting after another one had failed: stopped as soon as they are up. */
  const lateStops: Promise<void>[] = [];
  const stopEverything = async () => {
    stopApps.abort();
    await Promise.all(lateStops);
    await serving?.close().catch(() => undefined);
    await speed?.stop().catch(() => undefined);
    await archiver.catch(() => undefined);
    process.removeListener('SIGTERM', onTerm);
  };
  const fail = async (what: AppFailure): Promise<number> => {
    say(`${what.app} failed: ${what.reason}`);
    say('stopping the apps it started');
    await stopEverything();
    return 1;
  };
  /** Starts one app, unless another one failed first (then resolves with that failure). */
  const starting = async <T>(app: string, start: () => Promise<T>): Promise<T | AppFailure> => {
    const started = start().then(
      (value) => ({ value }),
      (error: unknown) => ({ failure: { app, reason: reasonOf(error) } }),
    );
    const first = await Promise.race([started, failure.then((other) => ({ failure: other }))]);
    if ('value' in first) return first.value;
    // Another app failed while this one started: stop this one too once it is up.
    lateStops.push(started.then((late) => ('value' in late ? stopLate(late.value) : undefined)));
    return first.failure;
  };
  const stopLate = async (value: unknown) => {
    const handle = value as { stop?: () => Promise<void>; close?: () => Promise<void> };
    await (handle.stop ?? handle.close)?.call(handle).catch(() => undefined);
  };
  const isFailure = (value: unknown): value is AppFailure =>
    typeof value === 'object' && value !== null && 'app' in value && 'reason' in value;

  const speedStarted = await starting('speed layer', () => startSpeed(config));
  if (isFailure(speedStarted)) return fail(speedStarted);
  speed = speedStarted;
  const runningSpeed = speedStarted;
  void runningSpeed.stopped.then(() => {
    if (!appSignal.aborted) {
      failed({
        app: 'speed layer',
        reason: runningSpeed.status().lastError || 'it stopped on its own',
      });
    }
  });
  say(`speed layer consuming ${topics.join(' and ')}`);
  const servingStarted = await starting('serving API', () =>
    startServing(config, {
      triggerBatchRun: async () => {
        const summary = await runBatch(config);
        return {
          status: summary.status,
          runId: summary.runId,
          watermarkEpoch: summary.watermarkEpoch ?? null,
        };
      },
    }),
  );
  if (isFailure(servingStarted)) return fail(servingStarted);
  serving = servingStarted;
  say(`serving API at ${serving.url}`);
  say(`dashboard at ${serving.url}/`);
  const metricsAt = [
    `${serving.url}/metrics`,
    ...(speed.healthUrl === undefined ? [] : [speed.healthUrl.replace(/\/health$/, '/metrics')]),
    ...(config.archiverHealthPort > 0
      ? [`http://${config.healthHost}:${config.archiverHealthPort}/metrics`]
      : []),
  ];
  say(`Prometheus metrics at ${metricsAt.join(', ')}; npx oxbow status shows the whole platform`);

  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const traffic = topics.map((topic, i) =>
    sendAtRate(
      plannedMessages(
        {
          topic,
          schema: topic,
          count: Number.MAX_SAFE_INTEGER,
          rate: DEMO_RATE,
          seed: 7 + i,
          lateFraction: 0.03,
        },
        project,
        clock.now(),
      ),
      {
        rate: DEMO_RATE,
        clock,
        signal,
        sink: {
          send: async (messages) => void (await producer.send({ topic, messages: [...messages], acks: -1 })),
        },
      },
    ),
  );
  say(`producing ${DEMO_RATE} events/s to each of ${topics.join(' and ')}`);
  say('try:');
  for (const example of exampleRequests(project, serving.url, clock.now())) output.out(`  ${example}`);
  say('a batch run starts whenever an epoch is sealed; Ctrl-C stops everything');

  let lastWatermark: number | null = null;
  const batches = (async () => {
    while (!signal.aborted) {
      await Promise.race([clock.sleep(Math.max(5_000, config.epochMs / 4)), untilAborted(signal)]);
      if (signal.aborted) break;
      try {
        const summary = await runBatch(config);
        if (summary.status === 'published' && summary.watermarkEpoch !== lastWatermark) {
          lastWatermark = summary.watermarkEpoch ?? null;
          say(`batch run ${summary.runId} published views up to epoch ${summary.watermarkEpoch}`);
        }
      } catch (error) {
        say(`batch run failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();

  const failedLater = await Promise.race([untilAborted(signal).then(() => undefined), failure]);
  if (failedLater !== undefined) {
    say(`${failedLater.app} failed: ${failedLater.reason}`);
    stop.abort();
  }
  say('stopping');
  await Promise.allSettled(traffic);
  await producer.disconnect();
  await batches;
  await stopEverything();
  say('stopped (the stack keeps running: npx oxbow stack down)');
  return failedLater === undefined ? 0 : 1;
}

/** `curl` lines for the project: its views, a key of the first view, its top keys, a live view, metrics. */
function exampleRequests(project: Project, url: string, now: number): string[] {
  const lines = [`curl -s ${url}/v1/views`];
  const view = project.views[0];
  if (view !== undefined) {
    const sample = sampleKey(project, view.name, now);
    if (sample !== undefined) {
      lines.push(`curl -s '${url}/v1/views/${view.name}?key=${encodeURIComponent(sample)}'`);
    }
    const field = view.fields[0]?.name;
    if (field !== undefined) lines.push(`curl -s '${url}/v1/views/${view.name}/top?by=${field}&limit=5'`);
  }
  const live = project.liveViews.find((candidate) => candidate.personal !== true);
  if (live !== undefined) lines.push(`curl -s ${url}/v1/live/${live.name}`);
  lines.push(`curl -s ${url}/metrics`);
  return lines;
}

/** The key of the first generated event that passes the view's filter (what the demo traffic will show). */
function sampleKey(project: Project, viewName: string, now: number): string | undefined {
  const view = project.view(viewName);
  const messages = plannedMessages(
    { topic: view.topic, schema: view.topic, count: 20, rate: DEMO_RATE, seed: 7, lateFraction: 0 },
    project,
    now,
  );
  for (const message of messages) {
    const parsed = view.schema.parse(message.value, { now });
    if (parsed.ok && (view.filter === undefined || view.filter(parsed.event)))
      return view.keyOf(parsed.event);
  }
  return undefined;
}
