import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  type AnyEvent,
  type EventGenerator,
  generateEvents,
  loadProject,
  type Project,
  resolveProjectPath,
  type Schema,
  ViewsError,
} from '@oxbow/views';
import { type Kafka, Partitioners } from 'kafkajs';
import type { ParsedArgs } from '../args.ts';
import { createKafka } from '../clients.ts';
import type { Clock } from '../clock.ts';
import { CliError } from '../errors.ts';
import type { Output } from '../output.ts';
import type { CommandEnvironment } from './stack-command.ts';

/** The flags `oxbow produce` takes. */
export const PRODUCE_FLAGS = ['topic', 'schema', 'count', 'rate', 'seed', 'late-fraction', 'file'] as const;

/** What `oxbow produce` sends, from its flags. */
export interface ProducePlan {
  /** The Kafka topic to send to. */
  readonly topic: string;
  /** The project topic whose schema (and generator) the events follow. */
  readonly schema: string;
  /** A JSON-lines file to replay instead of generating events. */
  readonly file?: string;
  readonly count: number;
  /** Events per second, both the send rate and the event-time rate of the generator. */
  readonly rate: number;
  readonly seed: number;
  readonly lateFraction: number;
}

/** One Kafka message: the key and the JSON text of one event. */
export interface ProducedMessage {
  readonly key: string;
  readonly value: string;
}

/** Where produced batches go: Kafka in the command, an array in unit tests. */
export interface MessageSink {
  send(messages: readonly ProducedMessage[]): Promise<void>;
}

/** What a production run did. */
export interface ProduceSummary {
  readonly sent: number;
  readonly batches: number;
  readonly elapsedMs: number;
}

/** Topics created by `oxbow produce` get this many partitions. */
export const PRODUCE_TOPIC_PARTITIONS = 3;

function parseNumberFlag(
  name: string,
  text: string | undefined,
  fallback: number,
  valid: (value: number) => boolean,
  expected: string,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !valid(value)) {
    throw new CliError('OXBOW_USAGE', `--${name} ${text}: expected ${expected}`);
  }
  return value;
}

/**
 * Reads and checks the flags of `oxbow produce` against the project: `--schema` names a project topic (or a
 * schema's name) and defaults to `--topic` when that is a project topic.
 *
 * @example
 * producePlan(parseCommandLine(['produce', '--topic', 'http_logs', '--count', '500']), project); // { schema: 'http_logs', … }
 */
export function producePlan(args: ParsedArgs, project: Project): ProducePlan {
  if (args.command.length > 1) {
    throw new CliError('OXBOW_USAGE', `unexpected argument "${args.command[1]}" for oxbow produce`);
  }
  const { topic, schema, file } = args.flags;
  if (topic === undefined || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
    throw new CliError(
      'OXBOW_USAGE',
      topic === undefined
        ? 'oxbow produce needs --topic NAME'
        : `--topic ${topic}: expected a Kafka topic name (letters, digits, ".", "_", "-")`,
    );
  }
  const topics = [...project.topics.keys()];
  const wanted = schema ?? topic;
  const chosen = project.topics.has(wanted)
    ? wanted
    : [...project.topics].find(([, candidate]) => candidate.name === wanted)?.[0];
  if (chosen === undefined) {
    throw new CliError(
      'OXBOW_USAGE',
      schema === undefined
        ? `--topic ${topic} is not a topic of the project: add --schema ${topics.join('|')}`
        : `--schema ${schema}: expected one of the project's topics: ${topics.join(', ')}`,
    );
  }
  return {
    topic,
    schema: chosen,
    ...(file === undefined ? {} : { file }),
    count: parseNumberFlag(
      'count',
      args.flags.count,
      10_000,
      (n) => Number.isSafeInteger(n) && n >= 0,
      'a non-negative integer',
    ),
    rate: parseNumberFlag(
      'rate',
      args.flags.rate,
      1000,
      (n) => Number.isFinite(n) && n > 0,
      'a positive number of events per second',
    ),
    seed: parseNumberFlag('seed', args.flags.seed, 1, Number.isSafeInteger, 'an integer'),
    lateFraction: parseNumberFlag(
      'late-fraction',
      args.flags.lateFraction,
      0.03,
      (n) => n >= 0 && n <= 1,
      'a fraction from 0 to 1',
    ),
  };
}

/** The Kafka message of one record: keyed by the schema's `messageKey` field when it has one. */
function messageOf(schema: Schema<AnyEvent>, record: Readonly<Record<string, unknown>>): ProducedMessage {
  const key = schema.messageKey === undefined ? undefined : record[schema.messageKey];
  return { key: key === undefined || key === null ? '' : String(key), value: JSON.stringify(record) };
}

/**
 * The messages of a plan: generated events as JSON (the project's generator for the topic, else events made from
 * the schema's field types), keyed by the schema's `messageKey` so each entity keeps its order within a
 * partition. Event times start at `startMs` and follow the plan's rate.
 */
export function* plannedMessages(
  plan: ProducePlan,
  project: Project,
  startMs: number,
): Generator<ProducedMessage, void, undefined> {
  const options = {
    count: plan.count,
    seed: plan.seed,
    startMs,
    ratePerSec: plan.rate,
    lateFraction: plan.lateFraction,
  };
  const schema = project.schemaOf(plan.schema);
  const generator: EventGenerator =
    project.generators.get(plan.schema) ?? ((generatorOptions) => generateEvents(schema, generatorOptions));
  for (const record of generator(options)) yield messageOf(schema, record);
}

/**
 * The messages of a JSON-lines file (one record per non-empty line, sent as it is), keyed like generated ones;
 * a line that is not JSON is sent unchanged with no key (the apps dead-letter it, as they would from any producer).
 */
export async function* fileMessages(
  path: string,
  schema: Schema<AnyEvent>,
): AsyncGenerator<ProducedMessage, void, undefined> {
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      yield { key: '', value: line };
      continue;
    }
    yield typeof record === 'object' && record !== null && !Array.isArray(record)
      ? { ...messageOf(schema, record as Record<string, unknown>), value: line }
      : { key: '', value: line };
  }
}

/** Batch size for a rate: about five batches a second, between 1 and 500 messages. */
export function batchSizeFor(rate: number): number {
  return Math.min(500, Math.max(1, Math.round(rate / 5)));
}

/**
 * Sends `messages` to `sink` in batches, never ahead of `rate` messages per second on `clock` (batch i starts no
 * earlier than `start + sentSoFar / rate`), reporting progress at most once a second. Stops early, between
 * batches, when `signal` aborts.
 */
export async function sendAtRate(
  messages: Iterable<ProducedMessage> | AsyncIterable<ProducedMessage>,
  options: {
    readonly rate: number;
    readonly sink: MessageSink;
    readonly clock: Clock;
    readonly onProgress?: (sent: number, elapsedMs: number) => void;
    readonly signal?: AbortSignal;
  },
): Promise<ProduceSummary> {
  const { rate, sink, clock } = options;
  const batchSize = batchSizeFor(rate);
  const started = clock.now();
  let lastReport = started;
  let sent = 0;
  let batches = 0;
  let batch: ProducedMessage[] = [];
  const flush = async () => {
    const due = started + (sent * 1000) / rate;
    const wait = due - clock.now();
    if (wait > 0) await clock.sleep(wait);
    await sink.send(batch);
    sent += batch.length;
    batches += 1;
    batch = [];
    const now = clock.now();
    if (options.onProgress && now - lastReport >= 1000) {
      lastReport = now;
      options.onProgress(sent, now - started);
    }
  };
  for await (const message of messages) {
    if (options.signal?.aborted) break;
    batch.push(message);
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0 && !options.signal?.aborted) await flush();
  return { sent, batches, elapsedMs: clock.now() - started };
}

/** Creates `topic` (3 partitions, LogAppendTime) unless it exists. */
export async function ensureTopic(kafka: Kafka, topic: string, output: Output): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: PRODUCE_TOPIC_PARTITIONS,
          replicationFactor: 1,
          configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
        },
      ],
      waitForLeaders: true,
    });
    output.out(`produce: created topic ${topic} (${PRODUCE_TOPIC_PARTITIONS} partitions, LogAppendTime)`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * `oxbow produce`: sends events of one of the project's schemas as JSON to a Kafka topic at a steady rate —
 * generated (seeded) or replayed from a JSON-lines file (`--file data/…`) — creating the topic (LogAppendTime)
 * when it does not exist, and prints progress and a summary.
 */
export async function runProduce(args: ParsedArgs, env: CommandEnvironment): Promise<number> {
  const project = await loadProject(resolveProjectPath(env.config.project));
  const plan = producePlan(args, project);
  const { output, clock } = env;
  const kafka = createKafka(env.config, 'oxbow-produce');
  await ensureTopic(kafka, plan.topic, output);
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const startMs = clock.now();
  try {
    const messages =
      plan.file === undefined
        ? plannedMessages(plan, project, startMs)
        : fileMessages(plan.file, project.schemaOf(plan.schema));
    const summary = await sendAtRate(messages, {
      rate: plan.rate,
      clock,
      sink: {
        send: async (messages) => {
          await producer.send({ topic: plan.topic, messages: [...messages], acks: -1 });
        },
      },
      onProgress: (sent, elapsedMs) =>
        output.out(
          `produce: ${sent}${plan.file === undefined ? `/${plan.count}` : ''} events to ${plan.topic} (${rateText(sent, elapsedMs)})`,
        ),
      ...(env.signal ? { signal: env.signal } : {}),
    });
    output.out(
      `produce: sent ${summary.sent} ${plan.schema} events (${plan.file === undefined ? `seed ${plan.seed}` : plan.file}) to ${plan.topic} in ${summary.batches} batches, ${(summary.elapsedMs / 1000).toFixed(1)} s (${rateText(summary.sent, summary.elapsedMs)})`,
    );
    return summary.sent === plan.count || (plan.file !== undefined && !env.signal?.aborted) ? 0 : 130;
  } catch (error) {
    if (ViewsError.is(error)) throw new CliError('OXBOW_USAGE', error.message, { cause: error });
    throw error;
  } finally {
    await producer.disconnect();
  }
}

function rateText(sent: number, elapsedMs: number): string {
  return elapsedMs > 0 ? `${Math.round((sent * 1000) / elapsedMs)} events/s` : `${sent} events`;
}
