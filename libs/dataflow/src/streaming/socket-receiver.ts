/** `socketTextStream`: lines of text read from a TCP socket (UTF-8, split on `\n`), reconnecting on failure. */
import { createConnection, type Socket } from 'node:net';
import { Receiver } from './receiver.ts';

export class SocketTextReceiver extends Receiver<string> {
  private readonly host: string;
  private readonly port: number;
  private socket: Socket | undefined;

  constructor(host: string, port: number) {
    super();
    this.host = host;
    this.port = port;
  }

  onStart(): void {
    let pending = '';
    let finished = false;
    const finish = (message: string, error?: unknown): void => {
      if (finished || this.isStopped()) return;
      finished = true;
      this.restart(message, error);
    };
    const socket = createConnection({ host: this.host, port: this.port });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      this.store(lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)));
    });
    socket.on('end', () => {
      if (pending) this.store(pending);
      pending = '';
      finish('Socket data stream had no more data');
    });
    socket.on('error', (error) => finish(`Error connecting to ${this.host}:${this.port}`, error));
    this.socket = socket;
  }

  onStop(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
