/**
 * The gateway's push sources: the syslog collector (UDP and TCP) and the MQTT subscriber of `@oxbow/connectors`,
 * run as streams on one streaming context. Each message is mapped to a record (by the application's function or
 * the default one), checked by its topic's schema, counted against the in-flight budget, and every batch is
 * produced to Kafka, retried until Kafka acknowledges it.
 *
 * Delivery: syslog over UDP has no acknowledgement, syslog over TCP and MQTT hand a message over when it is
 * received (MQTT sends PUBACK then): what is held in memory is lost if the gateway crashes, and nothing is lost by
 * a Kafka outage shorter than the budget (beyond it, new messages are dropped and counted).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type MqttMessage,
  type MqttReceiver,
  mqttStream,
  type SourceDStream,
  type SyslogReceiver,
  type SyslogRecord,
  syslogStream,
} from '@oxbow/connectors';
import { DataflowContext, type DStream, StreamingContext } from '@oxbow/dataflow';
import type { AnyEvent, Project, Schema } from '@oxbow/views';
import type { InFlightBudget, Reservation } from './budget.ts';
import { IngestError } from './errors.ts';
import type { KafkaWriter } from './kafka-writer.ts';
import {
  defaultMqttRecord,
  defaultSyslogRecord,
  type MappedRecord,
  type MqttMapping,
  type MqttRoute,
  parseMqttRoutes,
  routeOf,
  type SyslogMapping,
} from './mappings.ts';
import type { IngestMetrics, IngestSource } from './metrics.ts';
import { checkRecord, type IngestMessage } from './records.ts';
import type { IngestConfig } from './server.ts';

/** A checked record on its way to Kafka. */
interface SourceRecord extends IngestMessage {
  readonly topic: string;
}

/** What the sources are built on. */
export interface SourceDependencies {
  readonly project: Project;
  readonly writer: KafkaWriter;
  readonly budget: InFlightBudget;
  readonly metrics: IngestMetrics;
  readonly log: (line: string) => void;
  /** Syslog message → record (default {@link defaultSyslogRecord}). */
  readonly mapSyslog?: SyslogMapping;
  /** MQTT message → record (default {@link defaultMqttRecord}). */
  readonly mapMqtt?: MqttMapping;
  /** Options of the MQTT client beyond the settings (credentials, TLS). */
  readonly mqtt?: { readonly username?: string; readonly password?: string };
}

/** The running sources. */
export interface IngestSources {
  /** The bound syslog addresses (the ports the system chose when 0 was asked), when syslog is on. */
  syslogAddresses(): { udp?: { address: string; port: number }; tcp?: { address: string; port: number } };
  /** Whether the MQTT subscriber is connected (undefined when MQTT is off). */
  mqttConnected(): boolean | undefined;
  /**
   * Stops receiving, produces what was received (retrying Kafka until `timeoutMs` has passed; what is still not
   * written then is counted as lost), and stops the streaming context.
   */
  stop(timeoutMs: number): Promise<void>;
}

/** Settings of the sources, checked. */
interface SourcePlan {
  readonly syslog?: { readonly topic: string; readonly udpPort: number; readonly tcpPort: number };
  readonly mqtt?: { readonly url: string; readonly routes: readonly MqttRoute[] };
}

function requireProjectTopic(project: Project, topic: string, setting: string): void {
  if (!project.topics.has(topic)) {
    throw new IngestError(
      'OXBOW_INGEST_BAD_OPTIONS',
      `${setting}: "${topic}" is not a topic of the project (topics: ${[...project.topics.keys()].join(', ')})`,
    );
  }
}

/** Reads and checks the source settings against the project; throws `OXBOW_INGEST_BAD_OPTIONS`. */
export function sourcePlan(config: IngestConfig, project: Project): SourcePlan {
  let syslog: SourcePlan['syslog'];
  let mqtt: SourcePlan['mqtt'];
  if (config.ingestSyslogUdpPort > 0 || config.ingestSyslogTcpPort > 0) {
    const topic = config.ingestSyslogTopic.trim();
    if (topic === '') {
      throw new IngestError(
        'OXBOW_INGEST_BAD_OPTIONS',
        'ingestSyslogTopic: a syslog port is set, so name the project topic syslog messages go to (OXBOW_INGEST_SYSLOG_TOPIC)',
      );
    }
    requireProjectTopic(project, topic, 'ingestSyslogTopic');
    syslog = { topic, udpPort: config.ingestSyslogUdpPort, tcpPort: config.ingestSyslogTcpPort };
  }
  if (config.ingestMqttUrl.trim() !== '') {
    const routes = parseMqttRoutes(config.ingestMqttTopics);
    if (routes.length === 0) {
      throw new IngestError(
        'OXBOW_INGEST_BAD_OPTIONS',
        'ingestMqttTopics: an MQTT broker is set, so give MQTT_FILTER:TOPIC routes (OXBOW_INGEST_MQTT_TOPICS)',
      );
    }
    for (const route of routes) requireProjectTopic(project, route.topic, 'ingestMqttTopics');
    mqtt = { url: config.ingestMqttUrl.trim(), routes };
  }
  return { ...(syslog ? { syslog } : {}), ...(mqtt ? { mqtt } : {}) };
}

/**
 * Admits source messages: maps, checks and counts each against the budget (one growing and shrinking share per
 * source), and forwards batches to Kafka.
 */
class SourcePipe {
  private readonly source: IngestSource;
  private readonly deps: SourceDependencies;
  private readonly maxRecordBytes: number;
  private readonly share: Reservation;
  private lastRejectionLog = Number.NEGATIVE_INFINITY;
  private rejectionsSinceLog = 0;
  stopDeadline: number | undefined;

  constructor(source: IngestSource, deps: SourceDependencies, maxRecordBytes: number) {
    this.source = source;
    this.deps = deps;
    this.maxRecordBytes = maxRecordBytes;
    this.share = deps.budget.tryReserve(0, 0) as Reservation;
  }

  /** The checked record of a mapped message, or undefined (refused, filtered or over budget: counted). */
  admit(topic: string, schema: Schema<AnyEvent>, map: () => MappedRecord): SourceRecord | undefined {
    let record: MappedRecord;
    try {
      record = map();
    } catch (error) {
      this.reject(topic, [`the mapping failed: ${error instanceof Error ? error.message : String(error)}`]);
      return undefined;
    }
    if (record === null || record === undefined) {
      this.drop('filtered');
      return undefined;
    }
    const checked = checkRecord(schema, record, { maxRecordBytes: this.maxRecordBytes, now: Date.now() });
    if (!checked.ok) {
      this.reject(topic, checked.reasons);
      return undefined;
    }
    const { message } = checked;
    if (!this.share.resize(this.share.records + 1, this.share.bytes + message.bytes)) {
      this.drop('busy');
      return undefined;
    }
    return { ...message, topic };
  }

  /** Counts a message left out for `reason`. */
  drop(reason: 'filtered' | 'busy' | 'unmatched' | 'lost', count = 1): void {
    this.deps.metrics.add('oxbow_ingest_records_dropped_total', { source: this.source, reason }, count);
  }

  private reject(topic: string, reasons: readonly string[]): void {
    this.deps.metrics.add('oxbow_ingest_records_rejected_total', { source: this.source, topic }, 1);
    this.rejectionsSinceLog += 1;
    const now = Date.now();
    if (now - this.lastRejectionLog >= 10_000) {
      const more = this.rejectionsSinceLog > 1 ? ` (${this.rejectionsSinceLog - 1} more refused since)` : '';
      this.deps.log(`ingest: ${this.source} message refused for ${topic}: ${reasons.join('; ')}${more}`);
      this.lastRejectionLog = now;
      this.rejectionsSinceLog = 0;
    }
  }

  /** Produces one batch's records, by topic in order, retrying until Kafka acknowledges or the stop deadline. */
  async forward(records: readonly (SourceRecord | null | undefined)[]): Promise<void> {
    const byTopic = new Map<string, SourceRecord[]>();
    for (const record of records) {
      if (!record) continue;
      const list = byTopic.get(record.topic) ?? [];
      list.push(record);
      byTopic.set(record.topic, list);
    }
    for (const [topic, list] of byTopic) {
      const bytes = list.reduce((sum, record) => sum + record.bytes, 0);
      try {
        if (await this.writeWithRetry(topic, list)) {
          this.deps.metrics.add(
            'oxbow_ingest_records_accepted_total',
            { source: this.source, topic },
            list.length,
          );
        } else {
          this.drop('lost', list.length);
          this.deps.log(
            `ingest: ${list.length} ${this.source} records for ${topic} not written before the stop`,
          );
        }
      } finally {
        this.share.resize(this.share.records - list.length, this.share.bytes - bytes);
      }
    }
  }

  private async writeWithRetry(topic: string, records: readonly SourceRecord[]): Promise<boolean> {
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.writer.write(topic, records);
        return true;
      } catch (error) {
        const deadline = this.stopDeadline;
        if (deadline !== undefined && Date.now() + delay > deadline) return false;
        this.deps.log(
          `ingest: ${this.source}: writing ${records.length} records to ${topic} failed (attempt ${attempt}; retrying in ${delay} ms): ${error instanceof Error ? error.message : String(error)}`,
        );
        await sleep(delay);
        delay = Math.min(10_000, delay * 2);
      }
    }
  }
}

/**
 * Starts the sources the settings ask for (none: resolves to an object whose `stop` does nothing). Rejects with
 * `OXBOW_INGEST_BAD_OPTIONS` for wrong settings and with the connectors' `SourceError` when a port cannot be
 * bound or the broker refuses.
 *
 * @example
 * const sources = await startSources(config, { project, writer, budget, metrics, log: console.error });
 * sources.syslogAddresses().udp?.port;
 * await sources.stop(10_000);
 */
export async function startSources(config: IngestConfig, deps: SourceDependencies): Promise<IngestSources> {
  const plan = sourcePlan(config, deps.project);
  if (!plan.syslog && !plan.mqtt) {
    return { syslogAddresses: () => ({}), mqttConnected: () => undefined, stop: async () => {} };
  }
  const ssc = new StreamingContext(
    new DataflowContext({ parallelism: 1, appName: 'oxbow-ingest' }),
    config.ingestSourceBatchMs,
  );
  const pipes: SourcePipe[] = [];
  const receivers: Array<{ onStop(): Promise<void> }> = [];
  const attach = (stream: DStream<SourceRecord | null | undefined>, pipe: SourcePipe) => {
    stream.foreachRDD(async (rdd) => {
      try {
        await pipe.forward(await rdd.collect());
      } catch (error) {
        // A failed batch must not stop the context (it would stop every source).
        deps.log(`ingest: a source batch failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  };

  let syslog: SourceDStream<SourceRecord, SyslogReceiver<SourceRecord>> | undefined;
  if (plan.syslog) {
    const { topic, udpPort, tcpPort } = plan.syslog;
    const schema = deps.project.schemaOf(topic);
    const map = deps.mapSyslog ?? defaultSyslogRecord;
    const pipe = new SourcePipe('syslog', deps, config.ingestMaxRecordBytes);
    const host = config.ingestSyslogHost;
    const stream = syslogStream<SourceRecord>(ssc, {
      ...(udpPort > 0 ? { udp: { host, port: udpPort } } : {}),
      ...(tcpPort > 0 ? { tcp: { host, port: tcpPort } } : {}),
      map: (message: SyslogRecord) => pipe.admit(topic, schema, () => map(message)),
    });
    syslog = stream;
    receivers.push(stream.source);
    pipes.push(pipe);
    attach(stream, pipe);
  }
  let mqtt: SourceDStream<SourceRecord | undefined, MqttReceiver<SourceRecord | undefined>> | undefined;
  if (plan.mqtt) {
    const { url, routes } = plan.mqtt;
    const map = deps.mapMqtt ?? defaultMqttRecord;
    const pipe = new SourcePipe('mqtt', deps, config.ingestMaxRecordBytes);
    const stream = mqttStream<SourceRecord | undefined>(ssc, {
      url,
      topics: [...new Set(routes.map((route) => route.filter))],
      clientId: config.ingestMqttClientId,
      qos: 1,
      ...(deps.mqtt?.username === undefined ? {} : { username: deps.mqtt.username }),
      ...(deps.mqtt?.password === undefined ? {} : { password: deps.mqtt.password }),
      decode: (message: MqttMessage) => {
        const topic = routeOf(routes, message.topic);
        if (topic === undefined) {
          pipe.drop('unmatched');
          return undefined;
        }
        return pipe.admit(topic, deps.project.schemaOf(topic), () => map(message, topic));
      },
    });
    mqtt = stream;
    receivers.push(stream.source);
    pipes.push(pipe);
    attach(stream, pipe);
  }

  try {
    await ssc.start();
  } catch (error) {
    await ssc.stop().catch(() => undefined);
    throw error;
  }

  let stopped = false;
  return {
    syslogAddresses: () => syslog?.source.addresses() ?? {},
    mqttConnected: () => (mqtt ? mqtt.source.metrics().connected : undefined),
    stop: async (timeoutMs) => {
      if (stopped) return;
      stopped = true;
      const deadline = Date.now() + timeoutMs;
      for (const pipe of pipes) pipe.stopDeadline = deadline;
      // Stop receiving first, so that the next batch holds the last messages received, then let it run.
      for (const receiver of receivers) await receiver.onStop();
      await Promise.race([
        ssc.awaitBatchCompletion(ssc.clock.now()).catch(() => undefined),
        sleep(Math.max(0, deadline - Date.now()), undefined, { ref: false }),
      ]);
      await ssc.stop();
    },
  };
}
