/** Fills the operator table `dstream.ts` uses to create derived streams. */
import { EventTimeWindowDStream } from '../event-time/event-time-window-dstream.ts';
import { ForEachDStream } from './foreach-dstream.ts';
import { MapWithStateDStream } from './map-with-state-dstream.ts';
import { ReducedWindowedDStream } from './reduced-windowed-dstream.ts';
import { StreamOperators } from './registry.ts';
import { StateDStream } from './state-dstream.ts';
import { TransformedDStream } from './transformed-dstream.ts';
import { WindowedDStream } from './windowed-dstream.ts';

StreamOperators.transformed = (ssc, parents, f) => new TransformedDStream(ssc, parents, f);
StreamOperators.foreach = (ssc, parent, f) => {
  new ForEachDStream(ssc, parent, f);
};
StreamOperators.windowed = (parent, windowDuration, slideDuration) =>
  new WindowedDStream(parent, windowDuration, slideDuration);
StreamOperators.reducedWindowed = (
  parent,
  reduce,
  inverse,
  filter,
  windowDuration,
  slideDuration,
  partitioner,
) => new ReducedWindowedDStream(parent, reduce, inverse, filter, windowDuration, slideDuration, partitioner);
StreamOperators.state = (parent, update, partitioner, initial) =>
  new StateDStream(parent, update, partitioner, initial);
StreamOperators.mapWithState = (parent, spec) => new MapWithStateDStream(parent, spec);
StreamOperators.eventTimeWindow = (parent, options) => new EventTimeWindowDStream(parent, options);
