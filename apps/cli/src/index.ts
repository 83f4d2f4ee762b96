export { type RunOptions, run } from './cli.ts';
export { type ClientOptions, createKafka, createRedis, createS3 } from './clients.ts';
export { CliError, type CliErrorCode, exitCodeOf } from './errors.ts';
