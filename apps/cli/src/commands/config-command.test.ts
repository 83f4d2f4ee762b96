import { loadConfig } from '@oxbow/config';
import { describe, expect, it } from 'vitest';
import { maskUrlPassword, printConfig } from './config-command.ts';

describe('oxbow config', () => {
  it.each([
    ['redis://:s3cret@redis:6379', 'redis://:********@redis:6379'],
    ['rediss://default:s3cret@redis.example:6380/0', 'rediss://default:********@redis.example:6380/0'],
    ['mqtt://user:p@ss:w@rd@broker:1883', 'mqtt://user:********@broker:1883'],
    ['redis://127.0.0.1:26379', 'redis://127.0.0.1:26379'],
    ['redis://user@host:6379', 'redis://user@host:6379'],
    ['http://127.0.0.1:29000', 'http://127.0.0.1:29000'],
    ['not a url: a:b@c', 'not a url: a:b@c'],
  ])('masks the password of %s', (value, masked) => {
    expect(maskUrlPassword(value)).toBe(masked);
  });

  it('prints no password of a URL setting, as a table or JSON, unless asked', async () => {
    const resolved = await loadConfig({
      noFile: true,
      env: {
        OXBOW_REDIS_URL: 'redis://:hunter2-redis@redis.internal:6379',
        OXBOW_INGEST_MQTT_URL: 'mqtt://ingest:hunter2-mqtt@broker:1883',
        OXBOW_API_KEYS: 'hunter2-key:admin',
        OXBOW_S3_SECRET_KEY: 'hunter2-s3',
      },
    });
    for (const json of [false, true]) {
      const lines: string[] = [];
      printConfig(resolved, { json, showSecrets: false }, { out: (line) => lines.push(line), err: () => {} });
      const text = lines.join('\n');
      expect(text).not.toContain('hunter2');
      expect(text).toContain('redis://:********@redis.internal:6379');
      expect(text).toContain('mqtt://ingest:********@broker:1883');
    }
    const shown: string[] = [];
    printConfig(
      resolved,
      { json: false, showSecrets: true },
      { out: (line) => shown.push(line), err: () => {} },
    );
    expect(shown.join('\n')).toContain('redis://:hunter2-redis@redis.internal:6379');
  });
});
