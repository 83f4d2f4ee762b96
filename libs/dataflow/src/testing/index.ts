/** `@oxbow/dataflow/testing`: deterministic harnesses for users' streaming jobs. */
export { ManualClock } from '../streaming/clock.ts';
export { type RunStreamOptions, runStream, runStream2 } from './run-stream.ts';
export { TestInputStream } from './test-input-stream.ts';
