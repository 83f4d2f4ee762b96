/**
 * Topic bindings (docs/design/0002-layer-contracts.md, "Topic names"): the settings `OXBOW_ARCHIVER_TOPICS`
 * (archiver, batch) and `OXBOW_SPEED_TOPICS` (speed, serving) list the Kafka topics, comma-separated, each as
 * `TOPIC` (its records have the schema of the same name) or `TOPIC:SCHEMA` (a renamed topic). The lake folders,
 * the Redis offsets hashes and the manifest's end offsets are keyed by the Kafka topic; the views by the schema.
 * Which schema names exist is the apps' business: this only parses.
 */
import { ContractError } from '../errors/contract-error.ts';

/** One Kafka topic and the name of the event schema of its records. */
export interface TopicBinding {
  /** The Kafka topic. */
  readonly topic: string;
  /** The event schema's name (the topic itself when the entry names no schema). */
  readonly schema: string;
}

/** A legal Kafka topic name (and, the same characters, a schema name). */
const NAME = /^[A-Za-z0-9._-]+$/;

/**
 * Parses a topic binding setting: comma-separated `TOPIC` or `TOPIC:SCHEMA` entries, blanks around entries and
 * names ignored, empty entries skipped. Throws `OXBOW_TOPIC_BINDING` on an entry that is neither (a bad character,
 * two colons, an empty side) and on a topic bound twice; `setting` names the setting in the message.
 *
 * @example
 * parseTopicBindings('web-logs:http_logs, sensor_readings');
 * // [{ topic: 'web-logs', schema: 'http_logs' }, { topic: 'sensor_readings', schema: 'sensor_readings' }]
 */
export function parseTopicBindings(text: string, setting = 'topics'): TopicBinding[] {
  const bindings: TopicBinding[] = [];
  for (const entry of text.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const [topic = '', schema = topic, ...extra] = entry.split(':').map((part) => part.trim());
    if (extra.length > 0 || !NAME.test(topic) || !NAME.test(schema)) {
      throw new ContractError(
        'OXBOW_TOPIC_BINDING',
        `${setting}: bad topic "${entry}" (expected TOPIC or TOPIC:SCHEMA, names of letters, digits, ".", "_", "-")`,
      );
    }
    if (bindings.some((binding) => binding.topic === topic)) {
      throw new ContractError('OXBOW_TOPIC_BINDING', `${setting}: topic ${topic} is listed twice`);
    }
    bindings.push({ topic, schema });
  }
  return bindings;
}

/**
 * Formats bindings back into the setting's form (`TOPIC` when the schema is the topic's name).
 *
 * @example
 * formatTopicBindings([{ topic: 'web-logs', schema: 'http_logs' }]); // 'web-logs:http_logs'
 */
export function formatTopicBindings(bindings: readonly TopicBinding[]): string {
  return bindings.map(({ topic, schema }) => (schema === topic ? topic : `${topic}:${schema}`)).join(',');
}
