export { default as ClosingLineReporter } from './closing-line-reporter.ts';
export {
  type DeliveredSide,
  type DeliveryCheck,
  type DeliveryDifference,
  type DeliveryReport,
  type DeliveryVerdict,
  deliveryVerdict,
  recordKeySql,
} from './delivery-verdict.ts';
export { freePort } from './free-port.ts';
export { EphemeralRedis, waitForRedisPing } from './private-redis.ts';
export { type PrivateRedisCluster, startPrivateRedisCluster } from './private-redis-cluster.ts';
