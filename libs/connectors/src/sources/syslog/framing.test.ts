import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameNonTransparent, frameOctetCounted } from './format.ts';
import { type FrameOutput, SyslogFrameDecoder } from './framing.ts';

const text = (outputs: FrameOutput[]) =>
  outputs.map((output) => (output instanceof Uint8Array ? Buffer.from(output).toString('utf8') : output));

/** Splits `bytes` at the given cut points (fractions of its length). */
function chunks(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    out.push(bytes.subarray(from, point));
    from = point;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe('SyslogFrameDecoder', () => {
  it('reads octet-counted and LF-framed messages on one connection, CRLF and NUL trailers too', () => {
    const decoder = new SyslogFrameDecoder();
    const first = decoder.push(
      Buffer.from('20 <13>1 - - - - - - é<13>Oct 11 22:14:15 h a: x\r\n<14>y\0<15>z'),
    );
    expect(text(first)).toEqual(['<13>1 - - - - - - é', '<13>Oct 11 22:14:15 h a: x', '<14>y']);
    expect(text(decoder.push(Buffer.from('z\n')))).toEqual(['<15>zz']);
    expect(decoder.end()).toEqual([]);
  });

  it('counts octets, not characters', () => {
    const message = '<13>1 - - - - - - ünïcödé ✓';
    const decoder = new SyslogFrameDecoder();
    expect(text(decoder.push(frameOctetCounted(message)))).toEqual([message]);
  });

  it('returns a last message without trailer at the end of the stream, and reports a truncated counted frame', () => {
    const decoder = new SyslogFrameDecoder();
    expect(decoder.push(Buffer.from('<13>no trailer'))).toEqual([]);
    expect(text(decoder.end())).toEqual(['<13>no trailer']);
    const truncated = new SyslogFrameDecoder();
    expect(truncated.push(Buffer.from('30 <13>short'))).toEqual([]);
    expect(truncated.end()).toEqual([
      { error: expect.stringMatching(/inside an octet-counted frame/), fatal: false },
    ]);
  });

  it('skips messages over the limit and goes on', () => {
    const decoder = new SyslogFrameDecoder({ maxMessageBytes: 10 });
    const out = decoder.push(
      Buffer.from('20 <13>aaaaaaaaaaaaaaaa<13>ok\n<13>bbbbbbbbbbbbbbbbbbbbbb\n5 <13>c'),
    );
    expect(text(out)).toEqual([
      { error: expect.stringMatching(/20 bytes exceeds the limit of 10/), fatal: false },
      '<13>ok',
      { error: expect.stringMatching(/exceeds the limit/), fatal: false },
      '<13>c',
    ]);
    const line = new SyslogFrameDecoder({ maxMessageBytes: 10 });
    expect(text(line.push(Buffer.from('<13>cccccccccccccccccccc')))).toEqual([
      { error: expect.stringMatching(/no trailer yet/), fatal: false },
    ]);
    expect(text(line.push(Buffer.from('ccc\n<13>d\n')))).toEqual(['<13>d']);
  });

  it('gives up on a connection whose counted frame has no valid length', () => {
    const decoder = new SyslogFrameDecoder();
    expect(decoder.push(Buffer.from('12x<13>oops'))).toEqual([
      { error: expect.stringMatching(/not an octet-counted frame/), fatal: true },
    ]);
    expect(decoder.push(Buffer.from('5 <13>a'))).toEqual([]);
    const forced = new SyslogFrameDecoder({ framing: 'octet-counting' });
    expect(forced.push(Buffer.from('<13>x\n'))).toEqual([{ error: expect.any(String), fatal: true }]);
  });

  it('in non-transparent mode, a leading digit is part of the message', () => {
    const decoder = new SyslogFrameDecoder({ framing: 'non-transparent' });
    expect(text(decoder.push(Buffer.from('12 not counted\n')))).toEqual(['12 not counted']);
  });

  const nonTransparentMessage = fc
    .uint8Array({ maxLength: 60 })
    .map((bytes) =>
      Buffer.concat([
        Buffer.from('<'),
        Buffer.from(bytes.filter((b) => b !== 0x0a && b !== 0 && b !== 0x0d)),
      ]),
    );
  const countedMessage = fc.uint8Array({ minLength: 1, maxLength: 60 }).map((bytes) => Buffer.from(bytes));

  it('decodes any mix of framings split into any chunks (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            nonTransparentMessage.map((message) => ({ message, framed: frameNonTransparent(message) })),
            countedMessage.map((message) => ({ message, framed: frameOctetCounted(message) })),
            // Some senders end octet-counted frames with LF as well.
            countedMessage.map((message) => ({
              message,
              framed: Buffer.concat([frameOctetCounted(message), Buffer.from('\n')]),
            })),
          ),
          { maxLength: 20 },
        ),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        (frames, cuts) => {
          const decoder = new SyslogFrameDecoder();
          const out: FrameOutput[] = [];
          for (const chunk of chunks(Buffer.concat(frames.map((frame) => frame.framed)), cuts))
            out.push(...decoder.push(chunk));
          out.push(...decoder.end());
          expect(out.map((bytes) => Buffer.from(bytes as Uint8Array).toString('hex'))).toEqual(
            frames.map((frame) => frame.message.toString('hex')),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
