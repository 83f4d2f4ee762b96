import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REDIS_PREFIX, escapeGlob, RedisLayout } from './redis-layout.ts';

/** Redis glob matching (`*`, `?`, `[…]`, `\` escapes), enough to check the layout's SCAN patterns. */
function globMatches(pattern: string, text: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') source += `\\${pattern[++i] ?? ''}`;
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`).test(text);
}

const prefix = fc.string({ maxLength: 8 }).filter((p) => !p.includes('\n'));
const view = fc.stringMatching(/^[a-z_*?[\]]{1,20}$/);
const epoch = fc.nat();
const partition = fc.nat({ max: 1000 });
const viewKey = fc.string({ maxLength: 20 });

describe('RedisLayout', () => {
  it('spells the contract keys under its prefix (byte for byte what existing Redis data uses)', () => {
    const layout = new RedisLayout();
    expect(layout.prefix).toBe(DEFAULT_REDIS_PREFIX);
    expect(layout.increments('page_views_hourly', 489012, 2, '/a:b')).toBe(
      'oxbow:rt:page_views_hourly:489012:2:/a:b',
    );
    expect(layout.keyIndex('v', 3)).toBe('oxbow:rtkeys:v:3');
    expect(layout.epochs('v')).toBe('oxbow:rtepochs:v');
    expect(layout.offsets('http_logs')).toBe('oxbow:offsets:http_logs');
    expect([layout.generation(), layout.live('active_sessions'), layout.status()]).toEqual([
      'oxbow:generation',
      'oxbow:live:active_sessions',
      'oxbow:speed:status',
    ]);
    expect(layout.staging('c0ffee', 'hashes')).toBe('oxbow:staging:c0ffee:hashes');
    expect(new RedisLayout('t1:').offsets('x')).toBe('t1:offsets:x');
  });

  it('parses every increments key it builds back, colons in view keys and prefixes included', () => {
    fc.assert(
      fc.property(prefix, view, epoch, partition, viewKey, (p, v, e, part, key) => {
        const layout = new RedisLayout(p);
        expect(layout.parseIncrements(layout.increments(v, e, part, key))).toEqual({
          view: v,
          epoch: e,
          partition: part,
          key,
        });
      }),
    );
    const layout = new RedisLayout('oxbow:');
    expect(layout.parseIncrements('oxbow:rtkeys:x:1')).toBeUndefined();
    expect(layout.parseIncrements('other:rt:v:1:2:k')).toBeUndefined();
    expect(layout.parseIncrements('oxbow:rt:v:x:2:k')).toBeUndefined();
  });

  it('escapes glob characters of the prefix and view in SCAN patterns', () => {
    expect(escapeGlob('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\');
    expect(new RedisLayout('t[1]:').incrementsPattern('v', 7)).toBe('t\\[1\\]:rt:v:7:*');
    expect(new RedisLayout('t[1]:').stagingPattern()).toBe('t\\[1\\]:staging:*');
  });

  it('matches exactly its own keys with its SCAN patterns, whatever the prefix', () => {
    fc.assert(
      fc.property(prefix, view, epoch, partition, viewKey, (p, v, e, part, key) => {
        const layout = new RedisLayout(p);
        const increments = layout.increments(v, e, part, key);
        expect(globMatches(layout.incrementsPattern(v, e), increments)).toBe(true);
        expect(globMatches(layout.incrementsPattern(v, e + 1), increments)).toBe(false);
        expect(globMatches(layout.incrementsPattern(`${v}x`, e), increments)).toBe(false);
        const owned = [increments, layout.keyIndex(v, e), layout.epochs(v), layout.offsets('t')];
        for (const ownedKey of owned) {
          expect(layout.rebuildPatterns().some((pattern) => globMatches(pattern, ownedKey))).toBe(true);
        }
        for (const kept of [layout.generation(), layout.live(v), layout.status(), layout.staging('t', 's')]) {
          expect(layout.rebuildPatterns().some((pattern) => globMatches(pattern, kept))).toBe(false);
        }
        expect(globMatches(layout.stagingPattern(), layout.staging('tok', 'hashes'))).toBe(true);
        expect(
          new RedisLayout(`${p}x`).rebuildPatterns().some((pattern) => globMatches(pattern, increments)),
        ).toBe(false);
      }),
    );
  });

  describe('RedisLayout, cluster layout', () => {
    /** The part of a key Redis Cluster hashes: the first `{…}` with something inside, else the whole key. */
    function hashedPart(key: string): string {
      const open = key.indexOf('{');
      if (open < 0) return key;
      const close = key.indexOf('}', open + 1);
      return close <= open + 1 ? key : key.slice(open + 1, close);
    }
    const clusterPrefix = prefix.filter((p) => !/[{}]/.test(p));

    it('tags every key of one partition commit with the same hash tag, and other partitions with another', () => {
      fc.assert(
        fc.property(clusterPrefix, view, epoch, partition, viewKey, (p, v, e, part, key) => {
          const layout = new RedisLayout(p, { cluster: true });
          const commitKeys = [
            layout.increments(v, e, part, key),
            layout.keyIndex(v, e, part),
            layout.epochs(v, part),
            layout.offsets('http_logs', part),
            layout.offsets('sensor_readings', part),
            layout.fence(part),
            layout.staging('tok', 'hashes', part),
          ];
          const slots = new Set(commitKeys.map(hashedPart));
          expect(slots).toEqual(new Set([`${p}${part}`]));
          expect(hashedPart(layout.increments(v, e, part + 1, key))).not.toBe(`${p}${part}`);
          expect(hashedPart(layout.generation())).toBe(hashedPart(layout.generationViews()));
          expect(layout.parseIncrements(layout.increments(v, e, part, key))).toEqual({
            view: v,
            epoch: e,
            partition: part,
            key,
          });
        }),
      );
    });

    it('spells the cluster keys, wipes them on a rebuild and keeps the generation marker', () => {
      const layout = new RedisLayout('oxbow:', { cluster: true });
      expect(layout.increments('v', 3, 1, '/a')).toBe('oxbow:rt:v:3:{oxbow:1}:/a');
      expect(layout.keyIndex('v', 3, 1)).toBe('oxbow:rtkeys:v:3:{oxbow:1}');
      expect(layout.offsets('t', 2)).toBe('oxbow:offsets:t:{oxbow:2}');
      expect(layout.generation()).toBe('oxbow:generation:{oxbow:generation}');
      const owned = [
        layout.increments('v', 3, 1, '/a'),
        layout.keyIndex('v', 3, 1),
        layout.epochs('v', 1),
        layout.offsets('t', 1),
        layout.partitions('t'),
        layout.fence(1),
      ];
      for (const key of owned) {
        expect(layout.rebuildPatterns().some((pattern) => globMatches(pattern, key))).toBe(true);
      }
      for (const kept of [layout.generation(), layout.generationViews(), layout.status(), layout.live('v')]) {
        expect(layout.rebuildPatterns().some((pattern) => globMatches(pattern, kept))).toBe(false);
      }
      expect(globMatches(layout.incrementsPattern('v', 3), layout.increments('v', 3, 7, 'k'))).toBe(true);
    });

    it('refuses a prefix with a brace and a partitioned key without a partition', () => {
      expect(() => new RedisLayout('a{b}:', { cluster: true })).toThrow(/brace/);
      const layout = new RedisLayout('oxbow:', { cluster: true });
      expect(() => layout.keyIndex('v', 1)).toThrow(/needs a partition/);
      expect(() => layout.offsets('t')).toThrow(/needs a partition/);
      expect(new RedisLayout('oxbow:').fence(4)).toBe('oxbow:generation');
    });
  });
});
