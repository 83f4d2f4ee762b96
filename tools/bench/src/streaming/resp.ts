/**
 * A minimal Redis client for the benchmark's measurements (SCAN, MEMORY USAGE, HLEN, INFO, UNLINK): RESP2 over one
 * TCP connection, commands pipelined in order. The apps use ioredis; the benchmark only needs to look.
 */
import { connect, type Socket } from 'node:net';

/** A RESP2 reply. */
export type RespReply = string | number | null | RespReply[] | Error;

/** One connection; `call` and `pipeline` send commands and resolve with their replies, in order. */
export class RespClient {
  private readonly socket: Socket;
  private buffer: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  private readonly waiting: Array<(reply: RespReply) => void> = [];
  private readonly ready: Promise<void>;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parseReply(this.buffer, 0);
        if (parsed === undefined) break;
        this.buffer = this.buffer.subarray(parsed.end);
        this.waiting.shift()?.(parsed.reply);
      }
    });
  }

  /** Sends `commands` at once and resolves with their replies. */
  async pipeline(commands: ReadonlyArray<ReadonlyArray<string | number>>): Promise<RespReply[]> {
    await this.ready;
    const replies = commands.map(() => new Promise<RespReply>((resolve) => this.waiting.push(resolve)));
    const parts: string[] = [];
    for (const command of commands) {
      parts.push(`*${command.length}\r\n`);
      for (const arg of command) {
        const text = String(arg);
        parts.push(`$${Buffer.byteLength(text)}\r\n${text}\r\n`);
      }
    }
    this.socket.write(parts.join(''));
    return Promise.all(replies);
  }

  /** One command; rejects with its error reply. */
  async call(...command: Array<string | number>): Promise<RespReply> {
    const [reply] = await this.pipeline([command]);
    if (reply instanceof Error) throw reply;
    return reply ?? null;
  }

  close(): void {
    this.socket.end();
  }
}

function parseReply(buffer: Buffer, at: number): { reply: RespReply; end: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', at);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[at] ?? 0);
  const line = buffer.toString('utf8', at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { reply: line, end: next };
    case '-':
      return { reply: new Error(line), end: next };
    case ':':
      return { reply: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { reply: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { reply: null, end: next };
      const items: RespReply[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, end);
        if (item === undefined) return undefined;
        items.push(item.reply);
        end = item.end;
      }
      return { reply: items, end };
    }
    default:
      throw new Error(`unexpected RESP reply type ${JSON.stringify(type)}`);
  }
}
