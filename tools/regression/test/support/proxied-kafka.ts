/**
 * A private Kafka broker that every client reaches only through our loopback TCP proxy (fault 5). A broker tells
 * its clients where to connect (`advertised.listeners`), so a proxy in front of its port alone would be bypassed
 * after the first metadata request. So the broker is started by `oxbow stack up` (a private state directory, free
 * ports), the proxy is put in front of its port, and the broker is restarted — the same JVM command line, read
 * from /proc — with its `server.properties` advertising the proxy's port: every connection, bootstrap or not, then
 * goes through the proxy.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { PrivateKafka } from './private-stack.ts';
import { TcpProxy } from './tcp-proxy.ts';

/** The broker, the proxy in front of it, and the restarted JVM. */
export class ProxiedKafka {
  readonly broker: PrivateKafka;
  readonly proxy: TcpProxy;
  private readonly jvm: ChildProcess;

  private constructor(broker: PrivateKafka, proxy: TcpProxy, jvm: ChildProcess) {
    this.broker = broker;
    this.proxy = proxy;
    this.jvm = jvm;
  }

  /** `host:port` clients use: the proxy's. */
  get brokers(): string {
    return `127.0.0.1:${this.proxy.port}`;
  }

  /** Starts the broker, the proxy, and restarts the broker advertising the proxy; resolves once it answers. */
  static async start(): Promise<ProxiedKafka> {
    const broker = await PrivateKafka.start();
    const proxy = await TcpProxy.start(Number(broker.env.OXBOW_KAFKA_PORT));
    const pid = broker.pid();
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((arg) => arg !== '');
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    await broker.kill();
    const properties = join(broker.stateDir, 'kafka', 'server.properties');
    const text = readFileSync(properties, 'utf8');
    if (!/^advertised\.listeners=/m.test(text)) throw new Error(`${properties} has no advertised.listeners`);
    writeFileSync(
      properties,
      text.replace(/^advertised\.listeners=.*$/m, `advertised.listeners=PLAINTEXT://127.0.0.1:${proxy.port}`),
    );
    const jvm = spawn(argv[0] ?? 'java', argv.slice(1), { cwd, stdio: 'ignore' });
    const proxied = new ProxiedKafka(broker, proxy, jvm);
    const admin = new Kafka({
      clientId: 'oxbow-proxied-kafka',
      brokers: [proxied.brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 300 },
    }).admin();
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.every((b) => b.port === proxy.port)) break;
        throw new Error(`the broker advertises ${JSON.stringify(cluster.brokers)}`);
      } catch (error) {
        if (Date.now() > deadline || jvm.exitCode !== null) {
          await proxied.stop();
          throw new Error(`the proxied broker did not come up: ${(error as Error).message}`);
        }
        await sleep(500);
      } finally {
        await admin.disconnect();
      }
    }
    return proxied;
  }

  /** Kills the JVM, closes the proxy, and removes the private state directory (`stack down` there). */
  async stop(): Promise<void> {
    if (this.jvm.exitCode === null && this.jvm.signalCode === null) {
      const gone = new Promise((resolve) => this.jvm.once('exit', resolve));
      this.jvm.kill('SIGKILL');
      await gone;
    }
    await this.proxy.close();
    await this.broker.stop();
  }
}
