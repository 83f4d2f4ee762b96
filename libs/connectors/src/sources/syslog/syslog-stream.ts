/**
 * `syslogStream`: a Flume-style syslog collector as a DStream. It listens on UDP and/or TCP, parses RFC 5424 and
 * RFC 3164 messages (TCP frames by octet counting or LF, RFC 6587), maps each message to the application's schema
 * with a user function, and hands the results to the engine; each batch is what arrived since the previous one.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { StreamingContext } from '@oxbow/dataflow';
import {
  meteredReceiverStream,
  ReconnectingReceiver,
  type ReconnectOptions,
  type SourceDStream,
} from '../reconnecting-receiver.ts';
import { listenError, messageOf, SourceError } from '../source-error.ts';
import type { SourceMetrics } from '../source-metrics.ts';
import { type FrameOutput, SyslogFrameDecoder, type SyslogFraming } from './framing.ts';
import { parseSyslog } from './parse.ts';
import type { SyslogMessage } from './syslog-message.ts';

/** A parsed message and where it came from: what the `map` function receives. */
export interface SyslogRecord extends SyslogMessage {
  readonly transport: 'udp' | 'tcp';
  /** The sender, `address:port`. */
  readonly peer: string;
  /** When the collector received it (epoch ms). */
  readonly receivedAt: number;
}

/** Where to listen. Port 0 picks a free port on the first start and keeps it across restarts. */
export interface SyslogListenOptions {
  /** Address to bind. Default `127.0.0.1`; `0.0.0.0` (or `::`) accepts messages from other hosts. */
  readonly host?: string;
  readonly port: number;
}

/** TCP listener options. */
export interface SyslogTcpOptions extends SyslogListenOptions {
  /** Framings accepted (RFC 6587). Default `auto`: octet counting or LF, told per frame. */
  readonly framing?: SyslogFraming;
  /** Connections open at once at most; more are refused. Default 1000. */
  readonly maxConnections?: number;
  /** A connection silent for this long is closed. Default 0 (never). */
  readonly idleTimeoutMs?: number;
}

/** Options of {@link syslogStream}. */
export interface SyslogStreamOptions<T> extends ReconnectOptions {
  /** Listen for datagrams (RFC 5426), one message each. */
  readonly udp?: SyslogListenOptions;
  /** Listen for TCP connections (RFC 6587). */
  readonly tcp?: SyslogTcpOptions;
  /**
   * Maps a parsed message to the stream's record; `undefined` or `null` drops it. A function that throws drops
   * the message and counts an error. Default: the {@link SyslogRecord} itself.
   */
  readonly map?: (record: SyslogRecord) => T | null | undefined;
  /** Longest message accepted, in bytes. Default 65 536. */
  readonly maxMessageBytes?: number;
  /** Zone of RFC 3164 timestamps (they carry none), in minutes east of UTC. Default 0. */
  readonly utcOffsetMinutes?: number;
}

/** Syslog counters: the common ones plus messages that parsed as neither format, and open connections. */
export interface SyslogMetrics extends SourceMetrics {
  /** Messages that followed neither RFC (delivered with `format: 'invalid'`). */
  readonly invalid: number;
  /** Messages the `map` function dropped (returned null or undefined). */
  readonly dropped: number;
  /** TCP connections open now. */
  readonly connections: number;
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new SourceError(
      'OXBOW_SOURCE_BAD_OPTIONS',
      `syslog: ${what} port must be an integer in 0–65535, got ${port}`,
    );
  }
}

/** The receiver behind {@link syslogStream}: a UDP socket and/or a TCP server. */
export class SyslogReceiver<T = SyslogRecord> extends ReconnectingReceiver<T, SyslogMetrics> {
  private readonly options: SyslogStreamOptions<T>;
  private readonly map: (record: SyslogRecord) => T | null | undefined;
  private udpPort: number | undefined;
  private tcpPort: number | undefined;
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private invalid = 0;
  private dropped = 0;

  constructor(options: SyslogStreamOptions<T>) {
    super(options);
    if (!options.udp && !options.tcp) {
      throw new SourceError('OXBOW_SOURCE_BAD_OPTIONS', 'syslog: give `udp`, `tcp` or both to listen on');
    }
    if (options.udp) checkPort(options.udp.port, 'udp');
    if (options.tcp) checkPort(options.tcp.port, 'tcp');
    this.options = options;
    this.udpPort = options.udp?.port;
    this.tcpPort = options.tcp?.port;
    this.map = options.map ?? ((record) => record as unknown as T);
  }

  protected get description(): string {
    const parts: string[] = [];
    if (this.options.udp) parts.push(`udp://${this.options.udp.host ?? '127.0.0.1'}:${this.udpPort}`);
    if (this.options.tcp) parts.push(`tcp://${this.options.tcp.host ?? '127.0.0.1'}:${this.tcpPort}`);
    return `syslog ${parts.join(' ')}`;
  }

  /** The bound addresses (ports chosen by the system when 0 was asked), once listening. */
  addresses(): { udp?: AddressInfo; tcp?: AddressInfo } {
    const udp = this.udp?.address();
    const tcp = this.tcp?.address();
    return {
      ...(udp ? { udp } : {}),
      ...(tcp && typeof tcp === 'object' ? { tcp } : {}),
    };
  }

  override metrics(): SyslogMetrics {
    return {
      ...this.meter.snapshot(),
      invalid: this.invalid,
      dropped: this.dropped,
      connections: this.sockets.size,
    };
  }

  protected async connect(generation: number): Promise<void> {
    if (this.options.udp) await this.listenUdp(generation, this.options.udp);
    if (this.options.tcp) await this.listenTcp(generation, this.options.tcp);
  }

  protected async disconnect(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve())).catch(() => undefined);
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  private listenUdp(generation: number, options: SyslogListenOptions): Promise<void> {
    const host = options.host ?? '127.0.0.1';
    const socket = createSocket({
      type: host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: 4 * 1024 * 1024,
    });
    this.udp = socket;
    return new Promise<void>((resolve, reject) => {
      const onStartError = (error: Error) =>
        reject(listenError('syslog UDP', `${host}:${this.udpPort}`, error));
      socket.once('error', onStartError);
      socket.bind({ address: host, port: this.udpPort ?? 0, exclusive: true }, () => {
        socket.off('error', onStartError);
        this.udpPort = socket.address().port;
        socket.on('error', (error) => this.connectionLost(generation, error));
        socket.on('message', (datagram, peer) => {
          this.receive(datagram, 'udp', `${peer.address}:${peer.port}`);
        });
        resolve();
      });
    });
  }

  private listenTcp(generation: number, options: SyslogTcpOptions): Promise<void> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer((socket) => this.accept(socket, options));
    server.maxConnections = options.maxConnections ?? 1000;
    this.tcp = server;
    return new Promise<void>((resolve, reject) => {
      const onStartError = (error: Error) =>
        reject(listenError('syslog TCP', `${host}:${this.tcpPort}`, error));
      server.once('error', onStartError);
      server.listen({ host, port: this.tcpPort ?? 0, exclusive: true }, () => {
        server.off('error', onStartError);
        this.tcpPort = (server.address() as AddressInfo).port;
        server.on('error', (error) => this.connectionLost(generation, error));
        resolve();
      });
    });
  }

  private accept(socket: Socket, options: SyslogTcpOptions): void {
    this.sockets.add(socket);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const decoder = new SyslogFrameDecoder({
      framing: options.framing ?? 'auto',
      maxMessageBytes: this.options.maxMessageBytes ?? 65_536,
    });
    if (options.idleTimeoutMs) {
      socket.setTimeout(options.idleTimeoutMs, () => socket.end());
    }
    const handle = (outputs: FrameOutput[]) => {
      const records: T[] = [];
      let bytes = 0;
      for (const output of outputs) {
        if (output instanceof Uint8Array) {
          bytes += output.length;
          this.convert(
            Buffer.from(output.buffer, output.byteOffset, output.length).toString('utf8'),
            'tcp',
            peer,
            records,
          );
        } else {
          this.meter.error(`syslog TCP ${peer}: ${output.error}`);
          if (output.fatal) socket.destroy();
        }
      }
      this.deliver(records, bytes);
    };
    socket.on('data', (chunk: Buffer) => handle(decoder.push(chunk)));
    socket.on('end', () => {
      handle(decoder.end());
      socket.end();
    });
    socket.on('error', (error) => this.meter.error(`syslog TCP ${peer}: ${messageOf(error)}`));
    socket.on('close', () => this.sockets.delete(socket));
  }

  private receive(datagram: Buffer, transport: 'udp', peer: string): void {
    let end = datagram.length;
    while (end > 0 && (datagram[end - 1] === 0x0a || datagram[end - 1] === 0x0d || datagram[end - 1] === 0))
      end -= 1;
    if (end === 0) return;
    if (end > (this.options.maxMessageBytes ?? 65_536)) {
      this.meter.error(`syslog UDP ${peer}: a message of ${end} bytes exceeds the limit; skipped`);
      return;
    }
    const records: T[] = [];
    this.convert(datagram.toString('utf8', 0, end), transport, peer, records);
    this.deliver(records, end);
  }

  private convert(text: string, transport: 'udp' | 'tcp', peer: string, into: T[]): void {
    const receivedAt = Date.now();
    const parsed = parseSyslog(text, {
      receivedAt,
      ...(this.options.utcOffsetMinutes === undefined
        ? {}
        : { utcOffsetMinutes: this.options.utcOffsetMinutes }),
    });
    if (parsed.format === 'invalid') this.invalid += 1;
    let mapped: T | null | undefined;
    try {
      mapped = this.map({ ...parsed, transport, peer, receivedAt });
    } catch (error) {
      this.meter.error(`syslog: the map function failed on a message from ${peer}: ${messageOf(error)}`);
      return;
    }
    if (mapped === null || mapped === undefined) {
      this.dropped += 1;
      return;
    }
    into.push(mapped);
  }
}

/**
 * A stream of syslog messages received on UDP and/or TCP, each mapped by `options.map`. The returned stream has
 * the receiver as `source` and its counters as `metrics()`. `ssc.start()` fails with `OXBOW_SOURCE_BAD_ADDRESS`
 * when a port cannot be bound.
 *
 * @example
 * ```ts
 * const logs = syslogStream(ssc, {
 *   udp: { port: 5514 },
 *   tcp: { port: 5514 },
 *   map: (m) => ({ host: m.hostname ?? m.peer, app: m.appName, severity: m.severity, text: m.message }),
 * });
 * logs.map((log) => [log.host, 1] as [string, number]).reduceByKey((a, b) => a + b).print();
 * ```
 */
export function syslogStream<T = SyslogRecord>(
  ssc: StreamingContext,
  options: SyslogStreamOptions<T>,
): SourceDStream<T, SyslogReceiver<T>> {
  return meteredReceiverStream<SyslogReceiver<T>, T>(ssc, new SyslogReceiver<T>(options));
}
