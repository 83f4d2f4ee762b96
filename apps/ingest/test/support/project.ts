/**
 * The project of the ingest tests, written as a user writes one: a keyed topic of readings, an unkeyed topic of
 * clicks, and a syslog topic whose schema takes the default syslog mapping's fields.
 */
import { SYSLOG_SEVERITIES } from '@oxbow/connectors';
import { defineProject, defineSchema, f } from '@oxbow/views';

export const readings = defineSchema(
  'readings',
  {
    time: f.timestamp(),
    sensorId: f.string({ maxLength: 32 }),
    celsius: f.double({ min: -90, max: 90 }),
    note: f.string({ maxLength: 64 }).optional(),
  },
  { eventTime: 'time', messageKey: 'sensorId' },
);

export const clicks = defineSchema(
  'clicks',
  { at: f.timestamp(), page: f.string({ minLength: 1, maxLength: 200 }) },
  { eventTime: 'at' },
);

export const syslog = defineSchema(
  'syslog',
  {
    ts: f.timestamp(),
    host: f.string({ maxLength: 255 }),
    app: f.string({ maxLength: 48 }).optional(),
    severity: f.enum([...SYSLOG_SEVERITIES]).optional(),
    message: f.string({ maxLength: 8192 }),
  },
  { eventTime: 'ts', messageKey: 'host' },
);

/** The test project over topics named `<prefix>-readings`, `<prefix>-clicks` and `<prefix>-syslog`. */
export function ingestTestProject(prefix: string) {
  return defineProject({
    topics: { [`${prefix}-readings`]: readings, [`${prefix}-clicks`]: clicks, [`${prefix}-syslog`]: syslog },
  });
}
