import { describe, expect, it } from 'vitest';
import { escapeGlob, RedisLayout } from './redis-layout.ts';

describe('RedisLayout', () => {
  it('builds the contract keys under its prefix and parses increments keys back, colons in view keys included', () => {
    const layout = new RedisLayout('oxbow:');
    const key = layout.increments('page_views_hourly', 489012, 2, '/a:b');
    expect(key).toBe('oxbow:rt:page_views_hourly:489012:2:/a:b');
    expect(layout.parseIncrements(key)).toEqual({
      view: 'page_views_hourly',
      epoch: 489012,
      partition: 2,
      key: '/a:b',
    });
    expect(layout.parseIncrements('oxbow:rtkeys:x:1')).toBeUndefined();
    expect(layout.keyIndex('v', 3)).toBe('oxbow:rtkeys:v:3');
    expect(layout.epochs('v')).toBe('oxbow:rtepochs:v');
    expect(layout.offsets('http_logs')).toBe('oxbow:offsets:http_logs');
    expect([layout.generation(), layout.live('active_sessions'), layout.status()]).toEqual([
      'oxbow:generation',
      'oxbow:live:active_sessions',
      'oxbow:speed:status',
    ]);
    expect(layout.staging('c0ffee', 'hashes')).toBe('oxbow:staging:c0ffee:hashes');
    expect(new RedisLayout('t[1]:').stagingPattern()).toBe('t\\[1\\]:staging:*');
  });

  it('escapes glob characters of the prefix in SCAN patterns', () => {
    expect(escapeGlob('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\');
    expect(new RedisLayout('t[1]:').incrementsPattern('v', 7)).toBe('t\\[1\\]:rt:v:7:*');
  });
});
