/**
 * The views over IoT sensor readings (topic `sensor_readings`).
 */
import { count, max, mean, min, product } from '@oxbow/dataflow';
import type { SensorReadingEvent } from '../events/sensor-reading.ts';
import type { ViewDefinition } from './view-definition.ts';

const sensorAggregator = product({
  count: count<SensorReadingEvent>(),
  temperature: mean((event: SensorReadingEvent) => event.temperature),
  min: min((event: SensorReadingEvent) => event.temperature),
  max: max((event: SensorReadingEvent) => event.temperature),
});

/** Readings per sensor and hour: how many, and their mean, lowest and highest temperature. */
export const sensorHourly: ViewDefinition<
  SensorReadingEvent,
  typeof sensorAggregator.zero,
  ReturnType<typeof sensorAggregator.present>
> = {
  name: 'sensor_hourly',
  description: 'Readings per sensor and hour of event time, with mean, min and max temperature',
  topic: 'sensor_readings',
  bucketMs: 3_600_000,
  keyOf: (event) => event.sensorId,
  aggregator: sensorAggregator,
  fields: [
    { name: 'count', kind: 'count', description: 'readings' },
    { name: 'temperature', kind: 'mean', description: 'mean temperature in °C' },
    { name: 'min', kind: 'min', description: 'lowest temperature in °C' },
    { name: 'max', kind: 'max', description: 'highest temperature in °C' },
  ],
};
