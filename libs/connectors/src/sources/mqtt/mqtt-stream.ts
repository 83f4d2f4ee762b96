/**
 * `mqttStream`: messages of MQTT topics as a DStream, through the `mqtt` package. By default it subscribes with
 * QoS 1 in a persistent session (clean session off, a fixed client id), so the broker keeps the subscription
 * while the receiver is away and delivers what was published meanwhile once it reconnects; a message the broker
 * sent but whose PUBACK it did not get is sent again. Delivery is therefore at least once: after a reconnect a
 * message may come twice (`duplicate` is set when the broker says so).
 */
import type { StreamingContext } from '@oxbow/dataflow';
import { connect, type IClientOptions, type ISubscriptionGrant, type MqttClient } from 'mqtt';
import {
  meteredReceiverStream,
  ReconnectingReceiver,
  type ReconnectOptions,
  type SourceDStream,
} from '../reconnecting-receiver.ts';
import { connectError, messageOf, SourceError } from '../source-error.ts';

/** One received message, as `decode` sees it (and the default record type). */
export interface MqttMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** The broker marked it as a possible duplicate (a redelivery after a reconnect). */
  readonly duplicate: boolean;
  /** When the receiver got it (epoch ms). */
  readonly receivedAt: number;
}

/** Options of {@link mqttStream}. */
export interface MqttStreamOptions<T> extends ReconnectOptions {
  /** Broker URL: `mqtt://host:1883`, `mqtts://…`, `ws://…`, `wss://…`. */
  readonly url: string;
  /** Topic filters to subscribe to (`+` and `#` wildcards allowed). */
  readonly topics: string | readonly string[];
  /** The client id; the broker keys the persistent session on it, so keep it stable across restarts. */
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** Subscription QoS. Default 1 (at least once). */
  readonly qos?: 0 | 1 | 2;
  /** Start a fresh session on every connect (messages published while away are lost). Default false. */
  readonly cleanSession?: boolean;
  /** 4 (MQTT 3.1.1, default) or 5. */
  readonly protocolVersion?: 4 | 5;
  /** MQTT 5 only: how long the broker keeps the session while disconnected. Default 7 days. */
  readonly sessionExpirySeconds?: number;
  /** Keep-alive interval. Default 30 s. */
  readonly keepaliveSeconds?: number;
  /** How long one connection attempt waits for the broker's CONNACK. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Turns a message into the stream's record. A decoder that throws drops the message and counts an error. */
  readonly decode?: (message: MqttMessage) => T;
  /** Further client options (TLS material, `rejectUnauthorized`, …), passed to `mqtt.connect`. */
  readonly clientOptions?: Omit<
    IClientOptions,
    'clientId' | 'clean' | 'reconnectPeriod' | 'username' | 'password' | 'protocolVersion'
  >;
}

/** Names of the CONNACK return codes (MQTT 3.1.1) and reason codes (MQTT 5) that refuse a client. */
const AUTH_CODES = new Map<number, string>([
  [4, 'bad user name or password'],
  [5, 'not authorised'],
  [134, 'bad user name or password'],
  [135, 'not authorised'],
  [138, 'banned'],
  [140, 'bad authentication method'],
]);

/** The receiver behind {@link mqttStream}: one `mqtt` client per connection. */
export class MqttReceiver<T = MqttMessage> extends ReconnectingReceiver<T> {
  private readonly options: MqttStreamOptions<T>;
  private readonly topics: readonly string[];
  private readonly decode: (message: MqttMessage) => T;
  private client: MqttClient | undefined;

  constructor(options: MqttStreamOptions<T>) {
    super(options);
    this.topics = typeof options.topics === 'string' ? [options.topics] : [...options.topics];
    if (this.topics.length === 0 || this.topics.some((topic) => topic.length === 0)) {
      throw new SourceError('OXBOW_SOURCE_BAD_OPTIONS', 'MQTT: give at least one non-empty topic filter');
    }
    if (!options.clientId && options.cleanSession !== true) {
      throw new SourceError(
        'OXBOW_SOURCE_BAD_OPTIONS',
        'MQTT: a persistent session (cleanSession false, the default) needs a fixed clientId',
      );
    }
    this.options = options;
    this.decode = options.decode ?? ((message) => message as unknown as T);
  }

  protected get description(): string {
    return `MQTT ${this.options.url}`;
  }

  protected override classify(error: unknown): SourceError {
    if (SourceError.is(error)) return error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') {
      const reason = AUTH_CODES.get(code);
      if (reason !== undefined) {
        return new SourceError(
          'OXBOW_SOURCE_AUTH',
          `${this.description}: the broker refused the connection (${reason}, code ${code}); check username and password`,
          { cause: error },
        );
      }
      if (code === 2 || code === 133) {
        return new SourceError(
          'OXBOW_SOURCE_BAD_OPTIONS',
          `${this.description}: the broker rejected client id "${this.options.clientId}" (code ${code})`,
          { cause: error },
        );
      }
      return new SourceError('OXBOW_SOURCE_UNAVAILABLE', `${this.description}: ${messageOf(error)}`, {
        cause: error,
      });
    }
    return connectError('MQTT', this.options.url, error);
  }

  protected connect(generation: number): Promise<void> {
    const options = this.options;
    const v5 = options.protocolVersion === 5;
    const clean = options.cleanSession ?? false;
    let client: MqttClient;
    try {
      client = connect(options.url, {
        ...options.clientOptions,
        clientId: options.clientId,
        clean,
        protocolVersion: options.protocolVersion ?? 4,
        keepalive: options.keepaliveSeconds ?? 30,
        connectTimeout: options.connectTimeoutMs ?? 10_000,
        reconnectPeriod: 0, // reconnection is the receiver's, with backoff
        resubscribe: false,
        ...(options.username === undefined ? {} : { username: options.username }),
        ...(options.password === undefined ? {} : { password: options.password }),
        ...(v5 && !clean
          ? { properties: { sessionExpiryInterval: options.sessionExpirySeconds ?? 7 * 86_400 } }
          : {}),
      });
    } catch (error) {
      return Promise.reject(
        new SourceError(
          'OXBOW_SOURCE_BAD_ADDRESS',
          `MQTT: cannot use the URL ${options.url}: ${messageOf(error)}`,
          {
            cause: error,
          },
        ),
      );
    }
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      if (!this.isCurrent(generation)) return;
      const message: MqttMessage = {
        topic,
        payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.length),
        qos: packet.qos,
        retain: packet.retain,
        duplicate: packet.dup,
        receivedAt: Date.now(),
      };
      let record: T;
      try {
        record = this.decode(message);
      } catch (error) {
        this.meter.error(`MQTT: the decoder failed on a message of ${topic}: ${messageOf(error)}`);
        return;
      }
      this.deliver([record], payload.length);
    });
    return new Promise<void>((resolve, reject) => {
      let state: 'connecting' | 'ready' | 'failed' = 'connecting';
      const fail = (error: unknown) => {
        if (state === 'connecting') {
          state = 'failed';
          reject(error);
        } else if (state === 'ready') {
          this.connectionLost(generation, error);
        }
        // 'failed': the 'close' that follows a refused CONNACK belongs to the same failure.
      };
      client.on('error', fail);
      client.on('close', () => fail(new Error('the connection to the broker closed')));
      client.once('connect', () => {
        const qos = options.qos ?? 1;
        client.subscribe([...this.topics], { qos }, (error, granted) => {
          if (error) return fail(error);
          const refused = (granted ?? []).filter((grant: ISubscriptionGrant) => grant.qos >= 0x80);
          if (refused.length > 0) {
            return fail(
              new SourceError(
                'OXBOW_SOURCE_AUTH',
                `${this.description}: the broker refused the subscription to ${refused.map((grant) => grant.topic).join(', ')}`,
              ),
            );
          }
          if (state === 'connecting') {
            state = 'ready';
            resolve();
          }
        });
      });
    });
  }

  protected async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners();
    client.on('error', () => {});
    await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }
}

/**
 * A stream of the messages of MQTT topics. `ssc.start()` fails with `OXBOW_SOURCE_AUTH` when the broker refuses
 * the credentials or the subscription, `OXBOW_SOURCE_BAD_ADDRESS` when the host does not resolve, and
 * `OXBOW_SOURCE_UNAVAILABLE` when no broker answers within `startTimeoutMs`; afterwards the receiver reconnects
 * with backoff.
 *
 * @example
 * ```ts
 * const readings = mqttStream(ssc, {
 *   url: 'mqtt://127.0.0.1:21883',
 *   topics: ['sensors/+/temperature'],
 *   clientId: 'oxbow-speed-sensors',
 *   decode: (m) => ({ sensor: m.topic.split('/')[1], celsius: Number(new TextDecoder().decode(m.payload)) }),
 * });
 * readings.map((r) => [r.sensor, r.celsius] as [string, number]).reduceByKey(Math.max).print();
 * ```
 */
export function mqttStream<T = MqttMessage>(
  ssc: StreamingContext,
  options: MqttStreamOptions<T>,
): SourceDStream<T, MqttReceiver<T>> {
  return meteredReceiverStream<MqttReceiver<T>, T>(ssc, new MqttReceiver<T>(options));
}
