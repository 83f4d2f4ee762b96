#!/usr/bin/env node
/**
 * The `oxbow` executable. Runs under Node 24 type stripping (`npx oxbow …`, `npm run oxbow -- …`).
 */
import { run } from './cli.ts';

// kafkajs 2.2.4 schedules a timer with a negative delay on Node ≥ 23, which only prints a warning.
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const name = typeof warning === 'string' ? rest[0] : warning.name;
  const type = typeof name === 'object' && name !== null ? (name as { type?: string }).type : name;
  if (type === 'TimeoutNegativeWarning') return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.exitCode = await run(process.argv.slice(2), { signal: controller.signal });
// Clients (kafkajs, ioredis, the AWS SDK) may keep sockets or timers alive; the command is done.
process.exit();
