/**
 * A loopback TCP proxy of our own for fault tests: every connection to its port is piped to the upstream port,
 * and the test can drop every open connection at once (mid-request, mid-reply) or delay every chunk in both
 * directions.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A running proxy. */
export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private latencyMs = 0;
  private watcher: ((chunk: Buffer) => void) | undefined;
  /** Connections accepted so far. */
  accepted = 0;
  /** Connections dropped by {@link TcpProxy.dropAll}. */
  dropped = 0;

  private constructor(server: Server) {
    this.server = server;
  }

  /** Listens on a free port of 127.0.0.1 and forwards to `127.0.0.1:upstreamPort`. */
  static async start(upstreamPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, upstreamPort));
    proxy = new TcpProxy(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** The port clients connect to. */
  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Delays every chunk by `ms` in both directions from now on (0: none). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /**
   * Calls `watcher` with every chunk a client sends, before it is forwarded (`undefined`: stop watching), so a
   * test can strike at an exact moment — say, the first request line of an upload.
   */
  watchClients(watcher: ((chunk: Buffer) => void) | undefined): void {
    this.watcher = watcher;
  }

  /** Destroys every open connection, both sides, without a FIN: what a crashed middlebox or a reset does. */
  dropAll(): number {
    let count = 0;
    for (const socket of this.sockets) {
      socket.resetAndDestroy();
      count++;
    }
    this.dropped += count;
    return count;
  }

  /** Stops accepting and drops every connection. */
  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, upstreamPort: number): void {
    this.accepted++;
    const upstream = connect(upstreamPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => this.watcher?.(chunk));
    this.pipe(client, upstream);
    this.pipe(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Forwards `from` → `to`, each chunk after the current latency, in order. */
  private pipe(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const latency = this.latencyMs;
      if (latency === 0) {
        to.write(chunk);
        return;
      }
      from.pause();
      chain = chain.then(
        () =>
          new Promise<void>((resolve) => {
            setTimeout(() => {
              if (!to.destroyed) to.write(chunk);
              from.resume();
              resolve();
            }, latency);
          }),
      );
    });
  }
}
