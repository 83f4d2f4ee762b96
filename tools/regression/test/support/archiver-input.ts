/**
 * Input for the archiver fault suites: Kafka messages sent to the shared stack in slices with a pause after each,
 * so uploads are in flight whenever the test does its damage.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from 'kafkajs';
import { produce } from '../../../../apps/archiver/test/support/kafka.ts';

/** Sends `messages` to `topic` in `chunks` equal slices, in order, pausing `pauseMs` after each slice. */
export async function produceMessagesInChunks(
  topic: string,
  messages: readonly Message[],
  chunks: number,
  pauseMs: number,
): Promise<void> {
  for (let c = 0; c < chunks; c++) {
    await produce(
      topic,
      messages.slice((c * messages.length) / chunks, ((c + 1) * messages.length) / chunks),
    );
    await sleep(pauseMs);
  }
}
