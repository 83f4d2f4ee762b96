import type { ServiceDefinition } from '../service.ts';
import { kafkaService } from './kafka.ts';
import { redisService } from './redis.ts';
import { s3proxyService } from './s3proxy.ts';

/** Every service the stack knows, in start order (stopped in reverse). HDFS will be one more optional entry. */
export const SERVICES: readonly ServiceDefinition[] = [kafkaService, redisService, s3proxyService];
