/**
 * Streaming sources as DStreams: syslog (UDP/TCP), MQTT, directory streams over any FileSystem, Kinesis,
 * ZeroMQ, and an HTTP-polling custom receiver; with their shared backoff, metrics and errors.
 */
export { Backoff, type BackoffOptions } from './backoff.ts';
export {
  type DirectoryLocation,
  FileInputDStream,
  type FileReader,
  type FileStreamMetrics,
  type FileStreamOptions,
  fileStream,
  readTextLines,
  textFileStream,
} from './files/file-input-dstream.ts';
export { type ParquetFileStreamOptions, parquetFileStream } from './files/parquet-file-stream.ts';
export {
  type HttpPollingOptions,
  HttpPollingReceiver,
  httpPollingStream,
  type PolledResponse,
} from './http/http-polling-receiver.ts';
export {
  type KinesisInitialPosition,
  KinesisInputDStream,
  type KinesisMetrics,
  type KinesisRecord,
  type KinesisStreamOptions,
  kinesisStream,
} from './kinesis/kinesis-input-dstream.ts';
export { type MqttMessage, MqttReceiver, type MqttStreamOptions, mqttStream } from './mqtt/mqtt-stream.ts';
export {
  meteredReceiverStream,
  type ReceivedBy,
  ReconnectingReceiver,
  type ReconnectOptions,
  type SourceDStream,
} from './reconnecting-receiver.ts';
export { SOURCE_ERROR_CODES, SourceError, type SourceErrorCode } from './source-error.ts';
export { type MeteredSource, SourceMeter, type SourceMetrics } from './source-metrics.ts';
export {
  formatRfc3164,
  formatRfc5424,
  frameNonTransparent,
  frameOctetCounted,
  type SyslogFields,
} from './syslog/format.ts';
export {
  type FrameDecoderOptions,
  type FrameError,
  type FrameOutput,
  SyslogFrameDecoder,
  type SyslogFraming,
} from './syslog/framing.ts';
export { type ParseSyslogOptions, parseSyslog } from './syslog/parse.ts';
export {
  type SdElement,
  SYSLOG_FACILITIES,
  SYSLOG_SEVERITIES,
  type SyslogFormat,
  type SyslogMessage,
  sdParam,
} from './syslog/syslog-message.ts';
export {
  type SyslogListenOptions,
  type SyslogMetrics,
  SyslogReceiver,
  type SyslogRecord,
  type SyslogStreamOptions,
  type SyslogTcpOptions,
  syslogStream,
} from './syslog/syslog-stream.ts';
export {
  type ZeroMqCurveKeys,
  type ZeroMqMessage,
  ZeroMqReceiver,
  type ZeroMqStreamOptions,
  zeromqStream,
} from './zeromq/zeromq-stream.ts';
