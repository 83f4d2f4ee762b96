import { count } from '@oxbow/dataflow';
import { defineProject, defineSchema, defineView, f } from '@oxbow/views';
import { describe, expect, it } from 'vitest';
import type { BatchError } from '../errors.ts';
import { lakeTopicsOf } from './lake-topics.ts';

const schema = (name: string) =>
  defineSchema(name, { ts: f.timestamp(), key: f.string() }, { eventTime: 'ts' });
const project = defineProject({
  topics: { clicks: schema('clicks'), orders: schema('orders') },
  views: [defineView({ name: 'c', topic: 'clicks', bucket: '1h', key: 'key', fields: { n: count() } })],
});

describe('lakeTopicsOf', () => {
  it('every project topic is its own directory by default', () => {
    expect(lakeTopicsOf(project, '')).toEqual(
      new Map([
        ['clicks', ['clicks']],
        ['orders', ['orders']],
      ]),
    );
  });

  it('renamed Kafka topics are their own directories; unlisted topics keep their names', () => {
    expect(lakeTopicsOf(project, 'eu_clicks:clicks, us_clicks:clicks')).toEqual(
      new Map([
        ['clicks', ['eu_clicks', 'us_clicks']],
        ['orders', ['orders']],
      ]),
    );
    // `clicks` is the Kafka topic archived as orders here, so the clicks views do not read it too.
    expect(lakeTopicsOf(project, 'clicks:orders')).toEqual(new Map([['orders', ['clicks']]]));
  });

  it('a setting naming no project topic is a usage error', () => {
    expect(() => lakeTopicsOf(project, 'edge:payments')).toThrow(
      expect.objectContaining({ code: 'OXBOW_BATCH_USAGE' }) as BatchError,
    );
  });
});
