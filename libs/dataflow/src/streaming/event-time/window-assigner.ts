/**
 * Which event-time windows a record belongs to: tumbling (fixed, disjoint), sliding (fixed, overlapping) or
 * session (a gap of inactivity closes a key's session). Windows are [start, end) in epoch milliseconds, aligned
 * on multiples of the slide from the epoch.
 */
import { requireArgument } from '../../errors.ts';

/** How records are grouped in event time. */
export type EventTimeWindowSpec =
  | { kind: 'tumbling'; sizeMs: number }
  | { kind: 'sliding'; sizeMs: number; slideMs: number }
  | { kind: 'session'; gapMs: number };

/** A window [start, end). */
export interface TimeWindow {
  start: number;
  end: number;
}

/** Checks a window spec, with clear errors. */
export function validateWindowSpec(spec: EventTimeWindowSpec): void {
  if (spec.kind === 'session') {
    requireArgument(spec.gapMs > 0, `session gap must be positive, got ${spec.gapMs}`);
    return;
  }
  requireArgument(spec.sizeMs > 0, `window size must be positive, got ${spec.sizeMs}`);
  if (spec.kind === 'sliding') {
    requireArgument(
      spec.slideMs > 0 && spec.slideMs <= spec.sizeMs,
      `slide must be in (0, size], got ${spec.slideMs}`,
    );
  }
}

/** The fixed windows (tumbling or sliding) containing `timestamp`, oldest first. */
export function fixedWindowsOf(
  spec: Exclude<EventTimeWindowSpec, { kind: 'session' }>,
  timestamp: number,
): TimeWindow[] {
  const slide = spec.kind === 'sliding' ? spec.slideMs : spec.sizeMs;
  const lastStart = timestamp - (((timestamp % slide) + slide) % slide);
  const windows: TimeWindow[] = [];
  for (let start = lastStart; start > timestamp - spec.sizeMs; start -= slide) {
    windows.unshift({ start, end: start + spec.sizeMs });
  }
  return windows;
}
