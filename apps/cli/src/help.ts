import { flagOf, SETTING_NAMES, settingSpec } from '@oxbow/config';

/** The text of `oxbow --help`. */
export function helpText(): string {
  const settings = SETTING_NAMES.map(
    (name) => `  --${flagOf(name).padEnd(24)} ${settingSpec(name).env}`,
  ).join('\n');
  return `oxbow — the Oxbow command line

Usage: oxbow <command> [flags]

Commands:
  stack up [--with SERVICE]    start Kafka (KRaft), Redis and S3Proxy on loopback (idempotent)
  stack down                   stop exactly the processes the stack started
  stack status [--json]        address and health of every service
  stack logs SERVICE [-f] [-n N]  print (and follow) a service's log: kafka, redis, s3proxy
  stack fetch                  only download the Kafka and S3Proxy jars (CI)
  config [--json] [--show-secrets]  the effective configuration and where each value came from
  speed                        run the speed layer (views on Kafka → Redis increments) until SIGTERM
  demo | start                 stack up, then a round trip through Kafka, Redis, S3 and DuckDB
  archiver                     archive Kafka topics into the Parquet lake, exactly once (SIGTERM: flush, exit 0)
  batch run [--views a,b] [--until-epoch E] [--engine rdd|duckdb|auto] [--full] [--json]
                               recompute the views from the sealed epochs of the lake and publish them once
  batch schedule --cron "0 2 * * *" [same flags]  stay up and run on a cron schedule (UTC), one run at a time
  serve [--port N]             the query API on 127.0.0.1 (OXBOW_API_HOST), port --port | OXBOW_API_PORT | 8080
  produce --topic T [--schema http_logs|sensor_readings] [--count N] [--rate R] [--seed S] [--late-fraction F]
                               send generated events as JSON to Kafka (schema defaults to the topic name)

Flags for every command:
  --config PATH               config file (default: oxbow.config.json|ts|js in the cwd)
  -h, --help                  this help
Settings (flag, environment variable; precedence: default < file < env < flag):
${settings}
`;
}
