import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../errors/contract-error.ts';
import { decodeSpeedModel, encodeSpeedModel, type SpeedModelRecord } from './speed-model.ts';

const records: fc.Arbitrary<SpeedModelRecord> = fc.record({
  format: fc.constant('oxbow-speed-model' as const),
  version: fc.constant(1 as const),
  name: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/),
  kind: fc.constantFrom('kmeans', 'linear-regression'),
  fingerprint: fc.stringMatching(/^[0-9a-f]{16}$/),
  baseRunId: fc.option(fc.stringMatching(/^[0-9A-Za-z-]{1,30}$/), { nil: null }),
  batchTime: fc.nat(),
  updatedAt: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  examples: fc.nat(),
  model: fc.record({
    format: fc.constant('oxbow-ml-model'),
    type: fc.constant('streaming-kmeans'),
    clusterCenters: fc.array(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 3 })),
  }),
});

describe('speed model record', () => {
  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(records, (record) => {
        expect(decodeSpeedModel(encodeSpeedModel(record), 'k')).toEqual(JSON.parse(encodeSpeedModel(record)));
      }),
    );
  });

  it('refuses records that break the contract, naming the key and the problem', () => {
    const good = {
      format: 'oxbow-speed-model',
      version: 1,
      name: 'm',
      kind: 'kmeans',
      fingerprint: 'f',
      baseRunId: null,
      batchTime: 1,
      updatedAt: '2026-11-24T13:00:00.000Z',
      examples: 3,
      model: {},
    };
    const cases: Array<[string, RegExp]> = [
      ['{', /not JSON/],
      [JSON.stringify({ ...good, format: 'x' }), /format "x"/],
      [JSON.stringify({ ...good, version: 2 }), /unsupported version 2/],
      [JSON.stringify({ ...good, baseRunId: 3 }), /baseRunId/],
      [JSON.stringify({ ...good, examples: -1 }), /examples/],
      [JSON.stringify({ ...good, model: [] }), /model is not an object/],
    ];
    for (const [input, problem] of cases) {
      let thrown: unknown;
      try {
        decodeSpeedModel(input, 'oxbow:model:m');
      } catch (error) {
        thrown = error;
      }
      expect(ContractError.is(thrown, 'OXBOW_SPEED_MODEL_INVALID'), input).toBe(true);
      expect((thrown as Error).message).toMatch(/^speed model oxbow:model:m: /);
      expect((thrown as Error).message).toMatch(problem);
    }
  });
});
