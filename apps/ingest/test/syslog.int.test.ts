/**
 * Syslog into Kafka: RFC 5424 over UDP, RFC 3164 over TCP (LF and octet-counted framing) through the default
 * mapping into a topic whose schema has the mapping's fields, and an application's own mapping.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { formatRfc3164, formatRfc5424, frameNonTransparent, frameOctetCounted } from '@oxbow/connectors';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningIngest, startIngest } from '../src/index.ts';
import { ingestConfig, type TestTopics, testTopics } from './support/harness.ts';
import { readTopic } from './support/kafka.ts';
import { freeTcpPort, freeUdpPort } from './support/ports.ts';

const running: RunningIngest[] = [];
const created: TestTopics[] = [];

afterEach(async () => {
  for (const ingest of running.splice(0)) await ingest.close();
  for (const topics of created.splice(0)) await topics.cleanup();
});

async function sendUdp(port: number, messages: readonly string[]): Promise<void> {
  const socket = createSocket('udp4');
  for (const message of messages) {
    await new Promise<void>((resolve, reject) =>
      socket.send(Buffer.from(message), port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
    );
  }
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}

async function sendTcp(port: number, frames: readonly Buffer[]): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  await new Promise<void>((resolve) => socket.end(Buffer.concat(frames), resolve));
}

async function syslogGateway(name: string, options: Parameters<typeof startIngest>[1] = {}) {
  const topics = await testTopics(name);
  created.push(topics);
  const [udpPort, tcpPort] = [await freeUdpPort(), await freeTcpPort()];
  const ingest = await startIngest(
    await ingestConfig({
      ingestSyslogUdpPort: udpPort,
      ingestSyslogTcpPort: tcpPort,
      ingestSyslogTopic: topics.syslog,
      ingestSourceBatchMs: 50,
    }),
    { project: topics.project, port: 0, ...options },
  );
  running.push(ingest);
  return { ingest, topics, udpPort, tcpPort };
}

const accepted = (ingest: RunningIngest, topic: string) =>
  ingest.metrics.value('oxbow_ingest_records_accepted_total', { source: 'syslog', topic });

describe('syslog', () => {
  it('forwards RFC 5424 over UDP and RFC 3164 over TCP through the default mapping', async () => {
    const { ingest, topics, udpPort, tcpPort } = await syslogGateway('syslog');
    expect(ingest.sources.syslogAddresses()).toMatchObject({
      udp: { port: udpPort },
      tcp: { port: tcpPort },
    });
    const now = Date.now() - 30_000;
    const udp = Array.from({ length: 20 }, (_, i) =>
      formatRfc5424({
        facility: 16,
        severity: i % 8,
        timestamp: now + i,
        hostname: `web-${i % 2}`,
        appName: 'nginx',
        procId: String(100 + i),
        message: `udp message ${i}`,
      }),
    );
    await sendUdp(udpPort, udp);
    const tcpMessages = Array.from({ length: 10 }, (_, i) =>
      formatRfc3164({
        facility: 4,
        severity: 3,
        timestamp: Math.floor(now / 1000) * 1000 + i * 1000,
        hostname: 'db-1',
        appName: 'postgres',
        message: `tcp message ${i}`,
      }),
    );
    // LF framing and octet counting, told apart frame by frame.
    await sendTcp(
      tcpPort,
      tcpMessages.map((message, i) =>
        i % 2 === 0 ? frameNonTransparent(message) : frameOctetCounted(message),
      ),
    );
    // A message too long for the schema's `message` field is refused and never produced.
    await sendTcp(tcpPort, [frameOctetCounted(`<11>1 - db-1 app - - - ${'x'.repeat(9000)}`)]);

    await expect.poll(() => accepted(ingest, topics.syslog), { timeout: 15_000 }).toBe(30);
    await expect
      .poll(() =>
        ingest.metrics.value('oxbow_ingest_records_rejected_total', {
          source: 'syslog',
          topic: topics.syslog,
        }),
      )
      .toBe(1);

    const records = await readTopic(topics.syslog);
    expect(records).toHaveLength(30);
    const values = records.map((record) => ({ key: record.key, ...JSON.parse(record.value) }));
    const fromUdp = values.filter((value) => value.transport === 'udp');
    expect(fromUdp.map((value) => value.message).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `udp message ${i}`).sort(),
    );
    const fifth = fromUdp.find((value) => value.message === 'udp message 5');
    expect(fifth).toMatchObject({
      key: 'web-1',
      host: 'web-1',
      app: 'nginx',
      procId: '105',
      facility: 'local0',
      severity: 'notice',
      ts: now + 5,
      format: 'rfc5424',
    });
    // One TCP connection is one ordered stream: its messages keep their order under their key.
    const fromTcp = values.filter((value) => value.transport === 'tcp');
    expect(fromTcp.map((value) => value.message)).toEqual(tcpMessages.map((_, i) => `tcp message ${i}`));
    expect(fromTcp[0]).toMatchObject({ key: 'db-1', app: 'postgres', facility: 'auth', severity: 'err' });
    expect(ingest.budget.inFlightRecords).toBe(0);
  });

  it("maps with the application's function: records of its own shape, null to leave a message out", async () => {
    const { ingest, topics, udpPort } = await syslogGateway('mapped', {
      mapSyslog: (message) =>
        message.severity === 7
          ? null
          : {
              ts: message.timestamp ?? message.receivedAt,
              host: `${message.hostname ?? '?'}.example`,
              message: message.message.toUpperCase(),
              severity: message.severity === 0 ? 'not-a-severity' : 'info',
            },
    });
    const now = Date.now() - 10_000;
    await sendUdp(
      udpPort,
      [7, 6, 0, 6].map((severity, i) =>
        formatRfc5424({ facility: 1, severity, timestamp: now + i, hostname: 'edge', message: `m${i}` }),
      ),
    );
    await expect.poll(() => accepted(ingest, topics.syslog), { timeout: 15_000 }).toBe(2);
    expect(
      ingest.metrics.value('oxbow_ingest_records_dropped_total', { source: 'syslog', reason: 'filtered' }),
    ).toBe(1);
    expect(
      ingest.metrics.value('oxbow_ingest_records_rejected_total', { source: 'syslog', topic: topics.syslog }),
    ).toBe(1);
    const records = await readTopic(topics.syslog);
    expect(records.map((record) => [record.key, JSON.parse(record.value).message])).toEqual([
      ['edge.example', 'M1'],
      ['edge.example', 'M3'],
    ]);
  });

  it('on close, stops listening and still produces what it received', async () => {
    const topics = await testTopics('syslog-drain');
    created.push(topics);
    const udpPort = await freeUdpPort();
    // Batches far apart: what was received sits in the receiver when close() is called.
    const ingest = await startIngest(
      await ingestConfig({
        ingestSyslogUdpPort: udpPort,
        ingestSyslogTopic: topics.syslog,
        ingestSourceBatchMs: 30_000,
      }),
      { project: topics.project, port: 0 },
    );
    const now = Date.now() - 10_000;
    await sendUdp(
      udpPort,
      Array.from({ length: 5 }, (_, i) =>
        formatRfc5424({
          facility: 1,
          severity: 6,
          timestamp: now + i,
          hostname: 'late',
          message: `bye ${i}`,
        }),
      ),
    );
    // A busy machine may take more than the default second to receive them (well within the batch interval).
    await expect.poll(() => ingest.budget.inFlightRecords, { timeout: 20_000 }).toBe(5);
    await ingest.close();
    expect(accepted(ingest, topics.syslog)).toBe(5);
    expect((await readTopic(topics.syslog)).map((record) => JSON.parse(record.value).message)).toEqual(
      Array.from({ length: 5 }, (_, i) => `bye ${i}`),
    );
  });

  it('refuses settings that name no topic or a topic outside the project', async () => {
    const topics = await testTopics('settings', { create: false });
    const port = await freeUdpPort();
    await expect(
      startIngest(await ingestConfig({ ingestSyslogUdpPort: port }), { project: topics.project, port: 0 }),
    ).rejects.toThrow(/ingestSyslogTopic: a syslog port is set/);
    await expect(
      startIngest(await ingestConfig({ ingestSyslogUdpPort: port, ingestSyslogTopic: 'nope' }), {
        project: topics.project,
        port: 0,
      }),
    ).rejects.toThrow(/"nope" is not a topic of the project/);
  });
});
