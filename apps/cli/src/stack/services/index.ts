import type { ServiceDefinition } from '../service.ts';
import { hdfsService } from './hdfs.ts';
import { kafkaService } from './kafka.ts';
import { mqttService } from './mqtt.ts';
import { redisService } from './redis.ts';
import { redisClusterService } from './redis-cluster.ts';
import { s3proxyService } from './s3proxy.ts';

/**
 * Every service the stack knows, in start order (stopped in reverse). HDFS, MQTT and Redis Cluster are optional
 * (`--with …`).
 */
export const SERVICES: readonly ServiceDefinition[] = [
  kafkaService,
  redisService,
  s3proxyService,
  hdfsService,
  mqttService,
  redisClusterService,
];
