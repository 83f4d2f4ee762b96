/**
 * `zeromqStream`: messages of ZeroMQ PUB sockets, received by a SUB socket (the `zeromq` package, whose npm
 * tarball carries prebuilt libzmq binaries). libzmq reconnects a lost connection by itself with exponential
 * backoff (`reconnectInterval` doubling up to `reconnectMaxInterval`, set from `backoff`); the receiver
 * watches the socket's events for its metrics, and restarts the socket (with backoff) if receiving fails.
 *
 * PUB/SUB has no acknowledgements: a publisher drops what it sends while no subscriber is connected (and past
 * its high-water mark), so messages published during a disconnection are lost — the protocol does not allow
 * better. Use MQTT or Kafka where that matters.
 */
import { lookup } from 'node:dns/promises';
import type { StreamingContext } from '@oxbow/dataflow';
import { Subscriber } from 'zeromq';
import {
  meteredReceiverStream,
  ReconnectingReceiver,
  type ReconnectOptions,
  type SourceDStream,
} from '../reconnecting-receiver.ts';
import { connectError, messageOf, SourceError } from '../source-error.ts';

/** The default record: the first frame as the topic, the second as the payload (a single frame is the payload). */
export interface ZeroMqMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
}

/** CURVE keys (Z85 text, 40 characters each), as made by `zeromq.curveKeyPair()`. */
export interface ZeroMqCurveKeys {
  /** The publisher's public key. */
  readonly serverKey: string;
  readonly publicKey: string;
  readonly secretKey: string;
}

/** Options of {@link zeromqStream}. */
export interface ZeroMqStreamOptions<T> extends ReconnectOptions {
  /** Publisher endpoints to connect to: `tcp://host:port`, `ipc:///path`. */
  readonly endpoints: string | readonly string[];
  /** Topic prefixes to subscribe to. Default `['']`: everything. */
  readonly topics?: readonly string[];
  /** Turns a message's frames into a record. A decoder that throws drops the message and counts an error. */
  readonly decode?: (frames: readonly Uint8Array[]) => T;
  /** CURVE encryption and authentication towards the publishers. */
  readonly curve?: ZeroMqCurveKeys;
  /** Messages queued in the socket at most (libzmq's receive high-water mark). Default 100 000. */
  readonly receiveHighWaterMark?: number;
}

function decodeDefault(frames: readonly Uint8Array[]): ZeroMqMessage {
  const empty = new Uint8Array(0);
  if (frames.length <= 1) return { topic: '', payload: frames[0] ?? empty };
  return { topic: Buffer.from(frames[0] ?? empty).toString('utf8'), payload: frames[1] ?? empty };
}

/** The receiver behind {@link zeromqStream}: one SUB socket connected to every endpoint. */
export class ZeroMqReceiver<T = ZeroMqMessage> extends ReconnectingReceiver<T> {
  private readonly options: ZeroMqStreamOptions<T>;
  private readonly endpoints: readonly string[];
  private readonly decode: (frames: readonly Uint8Array[]) => T;
  private socket: Subscriber | undefined;

  constructor(options: ZeroMqStreamOptions<T>) {
    super(options);
    this.endpoints = typeof options.endpoints === 'string' ? [options.endpoints] : [...options.endpoints];
    if (this.endpoints.length === 0) {
      throw new SourceError('OXBOW_SOURCE_BAD_OPTIONS', 'ZeroMQ: give at least one endpoint');
    }
    this.options = options;
    this.decode = options.decode ?? (decodeDefault as unknown as (frames: readonly Uint8Array[]) => T);
  }

  protected get description(): string {
    return `ZeroMQ ${this.endpoints.join(', ')}`;
  }

  protected override classify(error: unknown): SourceError {
    if (SourceError.is(error)) return error;
    return connectError('ZeroMQ', this.endpoints.join(', '), error);
  }

  protected async connect(generation: number): Promise<void> {
    await this.checkEndpoints();
    const backoff = this.options.backoff ?? {};
    const socket = new Subscriber({
      linger: 0,
      receiveHighWaterMark: this.options.receiveHighWaterMark ?? 100_000,
      reconnectInterval: backoff.initialMs ?? 500,
      reconnectMaxInterval: backoff.maxMs ?? 30_000,
      ...(this.options.curve
        ? {
            curveServerKey: this.options.curve.serverKey,
            curvePublicKey: this.options.curve.publicKey,
            curveSecretKey: this.options.curve.secretKey,
          }
        : {}),
    });
    this.socket = socket;
    const pending = new Set(this.endpoints.map(normalise));
    let ready = false;
    let resolveReady: () => void = () => {};
    let rejectReady: (error: unknown) => void = () => {};
    const readyPromise = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    const connectedTo = new Set<string>();
    socket.events.on('handshake', (event) => {
      if (!this.isCurrent(generation)) return;
      const address = normalise(event.address);
      connectedTo.add(address);
      if (ready) {
        this.meter.reconnected();
        this.meter.setConnected(connectedTo.size > 0);
        return;
      }
      pending.delete(address);
      if (pending.size === 0) {
        ready = true;
        resolveReady();
      }
    });
    const handshakeFailed = (event: { address: string; error: Error }) => {
      if (!this.isCurrent(generation)) return;
      const failure = this.options.curve
        ? new SourceError(
            'OXBOW_SOURCE_AUTH',
            `ZeroMQ ${event.address}: the CURVE handshake failed (${event.error.message}); check the server key and the client's key pair`,
            { cause: event.error },
          )
        : new SourceError(
            'OXBOW_SOURCE_IO',
            `ZeroMQ ${event.address}: the handshake failed (${event.error.message})`,
            {
              cause: event.error,
            },
          );
      if (!ready) rejectReady(failure);
      else this.meter.error(failure.message);
    };
    socket.events.on('handshake:error:auth', handshakeFailed);
    socket.events.on('handshake:error:protocol', handshakeFailed);
    socket.events.on('handshake:error:other', handshakeFailed);
    socket.events.on('disconnect', (event) => {
      if (!this.isCurrent(generation) || !ready) return;
      connectedTo.delete(normalise(event.address));
      this.meter.setConnected(connectedTo.size > 0);
      this.meter.error(`ZeroMQ ${event.address}: disconnected (libzmq reconnects)`);
    });
    try {
      for (const endpoint of this.endpoints) socket.connect(endpoint);
      for (const topic of this.options.topics ?? ['']) socket.subscribe(topic);
    } catch (error) {
      throw new SourceError(
        'OXBOW_SOURCE_BAD_ADDRESS',
        `ZeroMQ: cannot connect to ${this.endpoints.join(', ')}: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
    }
    void this.receive(socket, generation);
    await readyPromise;
  }

  protected disconnect(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket && !socket.closed) socket.close();
  }

  private async receive(socket: Subscriber, generation: number): Promise<void> {
    try {
      for await (const frames of socket) {
        if (!this.isCurrent(generation)) return;
        let record: T;
        try {
          record = this.decode(frames);
        } catch (error) {
          this.meter.error(`ZeroMQ: the decoder failed: ${messageOf(error)}`);
          continue;
        }
        this.deliver(
          [record],
          frames.reduce((n, frame) => n + frame.length, 0),
        );
      }
    } catch (error) {
      if (!socket.closed) this.connectionLost(generation, error);
    }
  }

  /** Resolves the host of every `tcp://` endpoint, so a misspelt host fails at once (libzmq would retry forever). */
  private async checkEndpoints(): Promise<void> {
    for (const endpoint of this.endpoints) {
      const match = /^tcp:\/\/(?:\[([^\]]+)\]|([^:/]+)):(\d+|\*)$/.exec(endpoint);
      if (!match) {
        if (/^(ipc|inproc):\/\/./.test(endpoint)) continue;
        throw new SourceError(
          'OXBOW_SOURCE_BAD_ADDRESS',
          `ZeroMQ: "${endpoint}" is not an endpoint (expected tcp://host:port, ipc://path or inproc://name)`,
        );
      }
      const host = match[1] ?? match[2] ?? '';
      if (host === '*') continue;
      try {
        await lookup(host);
      } catch (error) {
        throw connectError('ZeroMQ', endpoint, error);
      }
    }
  }
}

/** `tcp://localhost:5555` and `tcp://127.0.0.1:5555` as libzmq reports them in events. */
function normalise(address: string): string {
  return address.replace(/^tcp:\/\/localhost:/, 'tcp://127.0.0.1:');
}

/**
 * A stream of the messages of ZeroMQ publishers. `ssc.start()` waits until every endpoint is connected (handshake
 * done) and fails with `OXBOW_SOURCE_BAD_ADDRESS` (malformed endpoint, host that does not resolve),
 * `OXBOW_SOURCE_AUTH` (CURVE handshake refused) or `OXBOW_SOURCE_UNAVAILABLE` (no publisher within
 * `startTimeoutMs`).
 *
 * @example
 * ```ts
 * const ticks = zeromqStream(ssc, {
 *   endpoints: 'tcp://127.0.0.1:5556',
 *   topics: ['ticker.'],
 *   decode: ([topic, price]) => ({ symbol: Buffer.from(topic ?? []).toString(), price: Number(Buffer.from(price ?? []).toString()) }),
 * });
 * ```
 */
export function zeromqStream<T = ZeroMqMessage>(
  ssc: StreamingContext,
  options: ZeroMqStreamOptions<T>,
): SourceDStream<T, ZeroMqReceiver<T>> {
  return meteredReceiverStream<ZeroMqReceiver<T>, T>(ssc, new ZeroMqReceiver<T>(options));
}
