/**
 * Which Kafka topics an app reads, and as which of the project's topics: by default every project topic is its
 * own Kafka topic; a setting (`archiverTopics`, `speedTopics`) may list `TOPIC` or `TOPIC:PROJECT_TOPIC` entries,
 * the latter reading a renamed Kafka topic with a project topic's schema and views.
 */
import { parseTopicBindings } from '@oxbow/contracts';
import { ViewsError } from '../errors.ts';
import type { Schema } from '../schema/define-schema.ts';
import type { Project } from './define-project.ts';
import type { AnyEvent } from './define-view.ts';

/** One Kafka topic an app reads, bound to a project topic. */
export interface TopicBinding {
  /** The Kafka topic (and the lake directory the archiver writes it to). */
  readonly kafkaTopic: string;
  /** The project topic whose schema and views apply. */
  readonly topic: string;
  readonly schema: Schema<AnyEvent>;
}

/**
 * Parses a topics setting into `[kafkaTopic, projectTopic]` pairs (the project topic defaults to the Kafka topic),
 * with the one parser of `@oxbow/contracts` (`OXBOW_TOPIC_BINDING` naming a bad entry).
 *
 * @example
 * ```ts
 * parseTopicSetting('http_logs, edge_logs:http_logs'); // [['http_logs', 'http_logs'], ['edge_logs', 'http_logs']]
 * ```
 */
export function parseTopicSetting(text: string): Array<[kafkaTopic: string, projectTopic: string]> {
  return parseTopicBindings(text).map(({ topic, schema }) => [topic, schema]);
}

/**
 * The Kafka topics to read for `project`: every project topic when `setting` is empty, else the listed ones,
 * each resolved to a project topic (by its key, or by its schema's name). Throws `OXBOW_UNKNOWN_TOPIC` naming
 * the project's topics for an entry that matches none.
 *
 * @example
 * ```ts
 * bindTopics(project, ''); // [{ kafkaTopic: 'orders', topic: 'orders', schema: orders }]
 * bindTopics(project, 'orders_eu:orders'); // read Kafka topic orders_eu as orders
 * ```
 */
export function bindTopics(project: Project, setting: string | undefined): TopicBinding[] {
  const pairs = parseTopicSetting(setting ?? '');
  if (pairs.length === 0) {
    return [...project.topics].map(([topic, schema]) => ({ kafkaTopic: topic, topic, schema }));
  }
  return pairs.map(([kafkaTopic, wanted]) => {
    const direct = project.topics.get(wanted);
    if (direct !== undefined) return { kafkaTopic, topic: wanted, schema: direct };
    const bySchema = [...project.topics].find(([, schema]) => schema.name === wanted);
    if (bySchema !== undefined) return { kafkaTopic, topic: bySchema[0], schema: bySchema[1] };
    throw new ViewsError(
      'OXBOW_UNKNOWN_TOPIC',
      `topic ${kafkaTopic}: "${wanted}" is not a topic of the project (topics: ${[...project.topics.keys()].join(', ')}); write TOPIC:PROJECT_TOPIC`,
    );
  });
}
