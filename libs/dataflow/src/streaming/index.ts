/** Spark Streaming's API: contexts, DStreams, receivers, clocks and checkpoint stores. */
export {
  builtInCheckpointStore,
  type CheckpointStore,
  type CheckpointStoreFactory,
  LocalDirectoryCheckpointStore,
  MemoryCheckpointStore,
} from './checkpoint-store.ts';
export { type Clock, ManualClock, SystemClock } from './clock.ts';
export {
  DStream,
  type EventTimeWindowStream,
  type ForeachFunction,
  type MapWithStateStream,
} from './dstream.ts';
export type { BatchInfo } from './dstreams/input-dstream.ts';
export { InputDStream } from './dstreams/input-dstream.ts';
export type { EventTimeWindowOptions, WindowResult } from './event-time/event-time-window-dstream.ts';
export type { EventTimeWindowSpec, TimeWindow } from './event-time/window-assigner.ts';
export { Receiver } from './receiver.ts';
export { type MappingFunction, State, StateSpec } from './state.ts';
export {
  type StopOptions,
  StreamingContext,
  type StreamingContextOptions,
  type StreamingContextState,
  type StreamingListener,
} from './streaming-context.ts';
