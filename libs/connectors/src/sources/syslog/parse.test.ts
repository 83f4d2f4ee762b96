import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRfc3164, formatRfc5424 } from './format.ts';
import { parseSyslog } from './parse.ts';
import { type SdElement, sdParam } from './syslog-message.ts';

const BOM = '\uFEFF';

describe('parseSyslog: RFC 5424', () => {
  it('parses the examples of RFC 5424 §6.5', () => {
    const one = parseSyslog(
      `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
    );
    expect(one).toEqual({
      format: 'rfc5424',
      facility: 4,
      severity: 2,
      version: 1,
      timestamp: Date.UTC(2003, 9, 11, 22, 14, 15, 3),
      hostname: 'mymachine.example.com',
      appName: 'su',
      procId: null,
      msgId: 'ID47',
      structuredData: [],
      message: "'su root' failed for lonvick on /dev/pts/8",
      error: null,
    });

    const two = parseSyslog(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
    );
    expect(two).toMatchObject({
      facility: 20,
      severity: 5,
      timestamp: Date.UTC(2003, 7, 24, 12, 14, 15, 0),
      hostname: '192.0.2.1',
      appName: 'myproc',
      procId: '8710',
      msgId: null,
      message: "%% It's time to make the do-nuts.",
    });

    const three = parseSyslog(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    );
    expect(three.structuredData).toEqual([
      {
        id: 'exampleSDID@32473',
        params: [
          ['iut', '3'],
          ['eventSource', 'Application'],
          ['eventID', '1011'],
        ],
      },
      { id: 'examplePriority@32473', params: [['class', 'high']] },
    ]);
    expect(three.message).toBe('');
    expect(sdParam(three, 'exampleSDID@32473', 'eventID')).toBe('1011');
    expect(sdParam(three, 'exampleSDID@32473', 'nope')).toBeUndefined();
  });

  it('unescapes ", \\ and ] in parameter values and keeps other backslashes', () => {
    const parsed = parseSyslog('<13>1 - - - - - [x@1 a="q\\"b\\\\c\\]d" b="\\n"] m');
    expect(parsed.structuredData).toEqual([
      {
        id: 'x@1',
        params: [
          ['a', 'q"b\\c]d'],
          ['b', '\\n'],
        ],
      },
    ]);
    expect(parsed.message).toBe('m');
  });

  it('reports what is wrong with malformed messages, never throwing', () => {
    const cases: Array<[string, RegExp]> = [
      ['no pri at all', /no <PRI>/],
      ['<192>1 - - - - - -', /out of range/],
      ['<13>1 2003-13-11T22:14:15Z h a p m -', /not a valid date/],
      ['<13>1 2003-10-11 h a p m -', /RFC 3339/],
      ['<13>1 - h a p m [id x="1"', /not closed|expected/],
      ['<13>1 - h a p m [id x="a]b"]', /unescaped "\]"/],
      ['<13>1 - h a p m [a][a]', /appears twice/],
      ['<13>1 - h  a p m -', /empty/],
      ['<13>1 - h a p', /ends before/],
      ['<13>1 - h a p m x', /neither/],
      ['<13>1 - h a p m -x', /other than a space/],
      [`<13>1 - ${'h'.repeat(256)} a p m -`, /longer than 255/],
    ];
    for (const [text, reason] of cases) {
      const parsed = parseSyslog(text);
      expect(parsed.format, text).toBe('invalid');
      expect(parsed.error, text).toMatch(reason);
      expect(parsed.message).toBe(text);
    }
  });

  const printable = (min: number, max: number) =>
    fc
      .string({
        unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
        minLength: min,
        maxLength: max,
      })
      .filter((s) => s !== '-');
  const sdName = fc.string({
    unit: fc
      .integer({ min: 0x21, max: 0x7e })
      .filter((c) => c !== 0x3d && c !== 0x5d && c !== 0x22)
      .map((c) => String.fromCharCode(c)),
    minLength: 1,
    maxLength: 32,
  });
  const sdElements = fc
    .uniqueArray(
      fc.record({
        id: sdName,
        params: fc.array(fc.tuple(sdName, fc.string({ unit: 'grapheme', maxLength: 12 })), { maxLength: 4 }),
      }),
      { selector: (element) => element.id, maxLength: 3 },
    )
    .map((elements) => elements as SdElement[]);

  it('reads back whatever formatRfc5424 writes (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          facility: fc.integer({ min: 0, max: 23 }),
          severity: fc.integer({ min: 0, max: 7 }),
          timestamp: fc.option(
            fc.integer({ min: Date.UTC(1, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
          ),
          hostname: fc.option(printable(1, 255)),
          appName: fc.option(printable(1, 48)),
          procId: fc.option(printable(1, 128)),
          msgId: fc.option(printable(1, 32)),
          structuredData: sdElements,
          message: fc.string({ unit: 'grapheme', maxLength: 40 }).filter((m) => !m.startsWith(BOM)),
        }),
        (fields) => {
          const parsed = parseSyslog(formatRfc5424(fields));
          expect(parsed).toEqual({ format: 'rfc5424', version: 1, error: null, ...fields });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('strips a BOM before MSG', () => {
    expect(parseSyslog(`<13>1 - - - - - - ${BOM}héllo`).message).toBe('héllo');
  });
});

describe('parseSyslog: RFC 3164', () => {
  const receivedAt = Date.UTC(2024, 9, 12, 8, 0, 0);

  it('parses the BSD examples of RFC 3164 §5.4', () => {
    expect(
      parseSyslog("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", {
        receivedAt,
      }),
    ).toEqual({
      format: 'rfc3164',
      facility: 4,
      severity: 2,
      version: null,
      timestamp: Date.UTC(2024, 9, 11, 22, 14, 15),
      hostname: 'mymachine',
      appName: 'su',
      procId: null,
      msgId: null,
      structuredData: [],
      message: "'su root' failed for lonvick on /dev/pts/8",
      error: null,
    });
    expect(parseSyslog('<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!', { receivedAt })).toMatchObject({
      timestamp: Date.UTC(2024, 1, 5, 17, 32, 18),
      hostname: '10.0.0.99',
      appName: null,
      message: 'Use the BFG!',
    });
  });

  it('reads TAG[PID], a missing hostname, RFC 3339 timestamps and the year of a December message read in January', () => {
    expect(parseSyslog('<30>Oct  9 01:02:03 web1 nginx[4242]: GET /', { receivedAt })).toMatchObject({
      hostname: 'web1',
      appName: 'nginx',
      procId: '4242',
      message: 'GET /',
    });
    expect(parseSyslog('<30>Oct  9 01:02:03 cron[7]: job done', { receivedAt })).toMatchObject({
      hostname: null,
      appName: 'cron',
      procId: '7',
      message: 'job done',
    });
    expect(parseSyslog('<30>2024-10-09T01:02:03.250+02:00 web1 app: x', { receivedAt })).toMatchObject({
      format: 'rfc3164',
      timestamp: Date.UTC(2024, 9, 8, 23, 2, 3, 250),
      hostname: 'web1',
      appName: 'app',
    });
    expect(
      parseSyslog('<30>Dec 31 23:59:59 h a: x', { receivedAt: Date.UTC(2025, 0, 1, 0, 0, 5) }).timestamp,
    ).toBe(Date.UTC(2024, 11, 31, 23, 59, 59));
    expect(parseSyslog('<30>Oct 11 22:14:15 h a: x', { receivedAt, utcOffsetMinutes: 120 }).timestamp).toBe(
      Date.UTC(2024, 9, 11, 20, 14, 15),
    );
  });

  it('keeps everything after the PRI as the message when there is no timestamp', () => {
    expect(parseSyslog('<13>just some text: here', { receivedAt })).toMatchObject({
      format: 'rfc3164',
      timestamp: null,
      hostname: null,
      appName: null,
      message: 'just some text: here',
    });
    expect(parseSyslog('<13>Feb 30 10:00:00 h a: x', { receivedAt })).toMatchObject({
      timestamp: null,
      message: 'Feb 30 10:00:00 h a: x',
    });
  });

  const word = (chars: string, min: number, max: number) =>
    fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: min, maxLength: max });
  const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

  it('reads back whatever formatRfc3164 writes (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          facility: fc.integer({ min: 0, max: 23 }),
          severity: fc.integer({ min: 0, max: 7 }),
          timestamp: fc.integer({ min: -300 * 86_400, max: 6 * 86_400 }).map((s) => receivedAt + s * 1000),
          hostname: fc.option(word(`${alnum}.-`, 1, 30)),
          appName: word(`${alnum}_/.-`, 1, 32),
          procId: fc.option(word('0123456789', 1, 7)),
          message: fc.string({ unit: 'grapheme', maxLength: 40 }),
        }),
        fc.integer({ min: -720, max: 840 }),
        (fields, utcOffsetMinutes) => {
          const parsed = parseSyslog(formatRfc3164(fields, utcOffsetMinutes), {
            receivedAt,
            utcOffsetMinutes,
          });
          expect(parsed).toMatchObject({ format: 'rfc3164', ...fields });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseSyslog on arbitrary input (property)', () => {
  it('never throws, and marks text without a valid PRI invalid', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string().map((s) => `<${s}`),
          fc.string().map((s) => `<13>1 ${s}`),
        ),
        (text) => {
          const parsed = parseSyslog(text, { receivedAt: 0 });
          const pri = /^<(\d{1,3})>/.exec(text);
          if (!pri || Number(pri[1]) > 191) return parsed.format === 'invalid';
          if (parsed.format === 'invalid') return typeof parsed.error === 'string' && parsed.message === text;
          return parsed.facility === Number(pri[1]) >> 3 && parsed.severity === (Number(pri[1]) & 7);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
