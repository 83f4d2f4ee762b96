/**
 * `oxbow archiver` on a topic that does not exist says so and exits non-zero, and an unknown project topic in
 * the topics setting is refused with the project's topics named.
 */
import { describe, expect, it } from 'vitest';
import { startArchiver } from './support/archiver-child.ts';

describe('oxbow archiver with a missing topic', () => {
  it('names the topic that does not exist and exits non-zero', async () => {
    const topic = `absent_${Date.now().toString(36)}`;
    const child = startArchiver({ OXBOW_ARCHIVER_TOPICS: `${topic}:http_logs` }, true);
    const code = await child.exited;
    expect(code, child.stderr.join('\n')).not.toBe(0);
    expect(child.stderr.join('\n')).toContain(`${topic} does not exist`);
  });

  it('names the project topics when the setting binds an unknown one', async () => {
    const child = startArchiver({ OXBOW_ARCHIVER_TOPICS: 'edge_logs:no_such_topic' }, true);
    const code = await child.exited;
    expect(code).not.toBe(0);
    expect(child.stderr.join('\n')).toContain(
      '"no_such_topic" is not a topic of the project (topics: http_logs, sensor_readings)',
    );
  });
});
