/** mapWithState through the harness, with Spark's MapWithStateSuite expectations for the simple API. */
import { describe, expect, it } from 'vitest';
import { runStream } from '../testing/index.ts';
import { type State, StateSpec } from './state.ts';
import { unordered } from './test-support/unordered.ts';

const runningCount = (_key: string, value: number | undefined, state: State<number>): number => {
  const sum = (value ?? 0) + (state.getOption() ?? 0);
  state.update(sum);
  return sum;
};

describe('DStream#mapWithState', () => {
  const input = [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];

  it('maps every record with its key state (Spark: basic operations with simple API)', async () => {
    const output = await runStream(input, (s) =>
      s.map((x): [string, number] => [x, 1]).mapWithState(StateSpec.function(runningCount)),
    );
    expect(unordered(output)).toEqual(unordered([[], [1], [2, 1], [3, 2, 1], [4, 3], [5], []]));
  });

  it('stateSnapshots gives every key state after each batch', async () => {
    const output = await runStream(input, (s) =>
      s
        .map((x): [string, number] => [x, 1])
        .mapWithState(StateSpec.function(runningCount).numPartitions(3))
        .stateSnapshots(),
    );
    expect(unordered(output)).toEqual(
      unordered([
        [],
        [['a', 1]],
        [
          ['a', 2],
          ['b', 1],
        ],
        [
          ['a', 3],
          ['b', 2],
          ['c', 1],
        ],
        [
          ['a', 4],
          ['b', 3],
          ['c', 1],
        ],
        [
          ['a', 5],
          ['b', 3],
          ['c', 1],
        ],
        [
          ['a', 5],
          ['b', 3],
          ['c', 1],
        ],
      ]),
    );
  });

  it('times out idle keys on the checkpoint batches, calling the function once more with isTimingOut', async () => {
    const output = await runStream([['a', 'b'], ['a'], [], [], ['a'], []], (s) => {
      const mapped = s
        .map((x): [string, number] => [x, 1])
        .mapWithState(
          StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
            if (state.isTimingOut()) return `${key}:timeout:${state.get()}`;
            const count = (state.getOption() ?? 0) + (value ?? 0);
            state.update(count);
            return `${key}:${count}`;
          }).timeout(2000),
        );
      mapped.checkpoint(1000);
      return mapped;
    });
    expect(unordered(output)).toEqual(unordered([['a:1', 'b:1'], ['a:2'], [], ['b:timeout:1'], ['a:3'], []]));
  });

  it('removes a state with State#remove and starts from an initial state RDD', async () => {
    const output = await runStream(
      [
        ['a', 'z'],
        ['a', 'z'],
      ],
      (s) =>
        s
          .map((x): [string, number] => [x, 1])
          .mapWithState(
            StateSpec.function((key: string, value: number | undefined, state: State<number>) => {
              const next = (state.getOption() ?? 0) + (value ?? 0);
              if (key === 'a' && next >= 2) state.remove();
              else state.update(next);
              return `${key}:${next}`;
            }).initialState(s.ssc.dataflowContext.parallelize<[string, number]>([['z', 10]], 1)),
          )
          .stateSnapshots(),
    );
    expect(unordered(output)).toEqual(
      unordered([
        [
          ['a', 1],
          ['z', 11],
        ],
        [['z', 12]],
      ]),
    );
  });

  it('refuses updates of a timing-out state, with Spark’s message', async () => {
    const job = runStream([['a'], [], [], []], (s) => {
      const mapped = s
        .map((x): [string, number] => [x, 1])
        .mapWithState(
          StateSpec.function((_key: string, value: number | undefined, state: State<number>) => {
            state.update(value ?? 0);
            return 0;
          }).timeout(1000),
        );
      mapped.checkpoint(1000);
      return mapped;
    });
    await expect(job).rejects.toThrow('Cannot update the state that is timing out');
  });
});
