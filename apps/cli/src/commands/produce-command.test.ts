import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateHttpLogs,
  generateSensorReadings,
  WEB_ANALYTICS_PROJECT,
} from '@oxbow/example-web-analytics';
import { defineProject, defineSchema, f, loadProject } from '@oxbow/views';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../args.ts';
import { run } from '../cli.ts';
import type { Clock } from '../clock.ts';
import type { Output } from '../output.ts';
import {
  batchSizeFor,
  type ProducedMessage,
  plannedMessages,
  producePlan,
  sendAtRate,
} from './produce-command.ts';

/** A clock whose sleeps advance virtual time instantly. */
function virtualClock(start = Date.UTC(2026, 10, 24, 12)): Clock & { time: number } {
  const clock = {
    time: start,
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.time += ms;
    },
  };
  return clock;
}

const project = await loadProject(WEB_ANALYTICS_PROJECT);
const plan = (...argv: string[]) => producePlan(parseCommandLine(['produce', ...argv]), project);

describe('oxbow produce flags', () => {
  it('take defaults, and the schema from a topic named after one', () => {
    expect(plan('--topic', 'http_logs')).toEqual({
      topic: 'http_logs',
      schema: 'http_logs',
      count: 10_000,
      rate: 1000,
      seed: 1,
      lateFraction: 0.03,
    });
    expect(
      plan(
        '--topic',
        'lab.readings',
        '--schema',
        'sensor_readings',
        '--count',
        '5',
        '--rate',
        '2.5',
        '--seed=-7',
        '--late-fraction',
        '0',
      ),
    ).toEqual({
      topic: 'lab.readings',
      schema: 'sensor_readings',
      count: 5,
      rate: 2.5,
      seed: -7,
      lateFraction: 0,
    });
  });

  it.each([
    [[], 'oxbow produce needs --topic NAME'],
    [
      ['--topic', 'mine'],
      '--topic mine is not a topic of the project: add --schema http_logs|sensor_readings',
    ],
    [['--topic', 'a/b'], '--topic a/b: expected a Kafka topic name (letters, digits, ".", "_", "-")'],
    [
      ['--topic', 'x', '--schema', 'logs'],
      "--schema logs: expected one of the project's topics: http_logs, sensor_readings",
    ],
    [['--topic', 'http_logs', '--count', '1e3x'], '--count 1e3x: expected a non-negative integer'],
    [['--topic', 'http_logs', '--rate', '0'], '--rate 0: expected a positive number of events per second'],
    [
      ['--topic', 'http_logs', '--late-fraction', '1.5'],
      '--late-fraction 1.5: expected a fraction from 0 to 1',
    ],
  ])('reject %j with one clear line', async (argv, message) => {
    const err: string[] = [];
    const output: Output = { out: () => {}, err: (line) => err.push(line) };
    const code = await run(['produce', ...argv], {
      cwd: mkdtempSync(join(tmpdir(), 'oxbow-cli-')),
      env: {},
      output,
    });
    expect(code).toBe(2);
    expect(err).toEqual([`oxbow: ${message}`]);
  });

  it('belong to produce only', async () => {
    const err: string[] = [];
    const output: Output = { out: () => {}, err: (line) => err.push(line) };
    const code = await run(['config', '--count', '3'], {
      cwd: mkdtempSync(join(tmpdir(), 'oxbow-cli-')),
      env: {},
      output,
    });
    expect(code).toBe(2);
    expect(err).toEqual(['oxbow: flag --count does not apply to "oxbow config" (run oxbow --help)']);
  });
});

describe('plannedMessages', () => {
  it('are the generator output as JSON, keyed by user or sensor', () => {
    const startMs = Date.UTC(2026, 10, 24);
    const http = [
      ...plannedMessages(plan('--topic', 'http_logs', '--count', '50', '--seed', '9'), project, startMs),
    ];
    const logs = [...generateHttpLogs({ count: 50, seed: 9, startMs, ratePerSec: 1000, lateFraction: 0.03 })];
    expect(http).toEqual(logs.map((log) => ({ key: log.userId, value: JSON.stringify(log) })));
    const sensors = [
      ...plannedMessages(
        plan('--topic', 'sensor_readings', '--count', '20', '--rate', '5'),
        project,
        startMs,
      ),
    ];
    const readings = [
      ...generateSensorReadings({ count: 20, seed: 1, startMs, ratePerSec: 5, lateFraction: 0.03 }),
    ];
    expect(sensors).toEqual(
      readings.map((reading) => ({ key: reading.sensorId, value: JSON.stringify(reading) })),
    );
  });
});

describe('plannedMessages without a generator', () => {
  it('are made from the schema, parse with it, and are keyed by its messageKey', () => {
    const orders = defineSchema(
      'orders',
      { at: f.timestamp(), shop: f.string({ maxLength: 20 }), cents: f.int({ min: 0, max: 100_000 }) },
      { eventTime: 'at', messageKey: 'shop' },
    );
    const shop = defineProject({ topics: { orders } });
    const startMs = Date.UTC(2026, 10, 24);
    const messages = [
      ...plannedMessages(
        producePlan(parseCommandLine(['produce', '--topic', 'orders', '--count', '200']), shop),
        shop,
        startMs,
      ),
    ];
    expect(messages).toHaveLength(200);
    for (const message of messages) {
      const parsed = orders.parse(message.value, { now: startMs + 86_400_000 });
      expect(parsed.ok, message.value).toBe(true);
      if (parsed.ok) expect(message.key).toBe(parsed.event.shop);
    }
  });
});

describe('sendAtRate', () => {
  it('sends everything in order, in batches, never ahead of the rate, reporting about once a second', async () => {
    const clock = virtualClock();
    const start = clock.time;
    const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: String(i) }));
    const received: ProducedMessage[] = [];
    const sends: Array<{ at: number; before: number; size: number }> = [];
    const progress: number[] = [];
    const summary = await sendAtRate(messages, {
      rate: 100,
      clock,
      sink: {
        send: async (batch) => {
          sends.push({ at: clock.time, before: received.length, size: batch.length });
          received.push(...batch);
        },
      },
      onProgress: (sent) => progress.push(sent),
    });
    expect(received).toEqual(messages);
    expect(batchSizeFor(100)).toBe(20);
    expect(sends.every((send) => send.size === 20)).toBe(true);
    for (const send of sends) expect(send.at).toBeGreaterThanOrEqual(start + (send.before * 1000) / 100);
    expect(summary).toEqual({ sent: 1000, batches: 50, elapsedMs: 9800 });
    expect(progress).toEqual([120, 220, 320, 420, 520, 620, 720, 820, 920]);
  });

  it('stops between batches when aborted', async () => {
    const controller = new AbortController();
    let sent = 0;
    const summary = await sendAtRate(
      Array.from({ length: 100 }, (_, i) => ({ key: 'k', value: String(i) })),
      {
        rate: 50,
        clock: virtualClock(),
        sink: {
          send: async (batch) => {
            sent += batch.length;
            if (sent >= 30) controller.abort();
          },
        },
        signal: controller.signal,
      },
    );
    expect(summary.sent).toBe(30);
  });
});
