import { RedisLayout } from '@oxbow/contracts';
import { describe, expect, it } from 'vitest';
import { announcementOf, MAX_ANNOUNCED_HASHES } from './commit-announcement.ts';

describe('commit announcement', () => {
  const layout = new RedisLayout('p:');

  it('groups the written hashes by view, epoch and partition, once each, with the offsets', () => {
    const text = announcementOf(layout, {
      generation: 'g1',
      ranges: [
        { topic: 'web', partition: 0, untilOffset: '42' },
        { topic: 'web', partition: 2, untilOffset: '7' },
      ],
      hashWrites: [
        { key: layout.increments('page_views_hourly', 9, 0, '/a:b') },
        { key: layout.increments('page_views_hourly', 9, 0, '/a:b') },
        { key: layout.increments('page_views_hourly', 9, 2, '/') },
        { key: layout.increments('status_minutely', 10, 0, '2xx') },
      ],
    });
    expect(JSON.parse(text)).toEqual({
      v: 1,
      generation: 'g1',
      offsets: { web: { '0': '42', '2': '7' } },
      views: {
        page_views_hourly: { '9': { '0': ['/a:b'], '2': ['/'] } },
        status_minutely: { '10': { '0': ['2xx'] } },
      },
    });
  });

  it('names only the offsets when the hashes are too many to list', () => {
    const hashWrites = Array.from({ length: MAX_ANNOUNCED_HASHES + 1 }, (_, i) => ({
      key: layout.increments('v', 1, 0, `k${i}`),
    }));
    const parsed = JSON.parse(announcementOf(layout, { generation: 'g', ranges: [], hashWrites }));
    expect(parsed.views).toBeNull();
  });
});
