/**
 * Where each project topic's events lie in the lake: `events/<kafkaTopic>/` for every Kafka topic the archiver
 * archives as that project topic (`archiverTopics`, `TOPIC` or `TOPIC:PROJECT_TOPIC` entries, read with
 * `bindTopics`). A renamed Kafka topic is archived under its Kafka name.
 */
import { bindTopics, type Project, ViewsError } from '@oxbow/views';
import { BatchError } from '../errors.ts';

/**
 * Project topic → the lake directories (Kafka topic names) holding its events, in the setting's order. A project
 * topic the setting does not list keeps its own name as its directory (another archiver may archive it; an
 * absent directory just reads as empty), unless that name is a Kafka topic bound to another project topic.
 * Throws `OXBOW_BATCH_USAGE` for a setting that names no project topic.
 *
 * @example
 * ```ts
 * lakeTopicsOf(project, 'rides_eu:ride_events');
 * // Map { 'ride_events' => ['rides_eu'], 'driver_pings' => ['driver_pings'] }
 * ```
 */
export function lakeTopicsOf(project: Project, archiverTopics: string | undefined): Map<string, string[]> {
  let bindings: ReturnType<typeof bindTopics>;
  try {
    bindings = bindTopics(project, archiverTopics);
  } catch (error) {
    if (!(error instanceof ViewsError)) throw error;
    throw new BatchError('OXBOW_BATCH_USAGE', `archiverTopics: ${error.message}`, { cause: error });
  }
  const directories = new Map<string, string[]>();
  for (const binding of bindings) {
    const known = directories.get(binding.topic);
    if (known === undefined) directories.set(binding.topic, [binding.kafkaTopic]);
    else known.push(binding.kafkaTopic);
  }
  const kafkaTopics = new Set(bindings.map((binding) => binding.kafkaTopic));
  for (const topic of project.topics.keys()) {
    if (!directories.has(topic) && !kafkaTopics.has(topic)) directories.set(topic, [topic]);
  }
  return directories;
}
