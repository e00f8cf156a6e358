/** The retention schedule: daily at a UTC hour or at a fixed interval, on an unref'd timer. */
import { ActivityError } from '../errors.js';

const DAY_MS = 86_400_000;

/** Options of {@link Retention.schedule}. */
export interface RetentionScheduleOptions {
  /** UTC hour (0–23) of the daily run. @default 3 */
  atUtcHour?: number | undefined;
  /** Run every `intervalMs` instead of daily (at least 1000). */
  intervalMs?: number | undefined;
  /** Receives a run that threw (a store outage); the schedule keeps going. */
  onError?: ((error: unknown) => void) | undefined;
}

/** Milliseconds from `now` to the next `hour`:00 UTC (tomorrow when it has passed today). */
export function msUntilUtcHour(now: Date, hour: number): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour);
  return next > now.getTime() ? next - now.getTime() : next + DAY_MS - now.getTime();
}

/** What a schedule drives. */
export interface ScheduledRetention {
  run(): Promise<unknown>;
  now(): Date;
  /** Runs before each run; must not reject. */
  sweep?: (() => Promise<unknown>) | undefined;
}

/** Validates the options and arms the timer; returns a function that stops it. */
export function scheduleRetention(
  target: ScheduledRetention,
  options: RetentionScheduleOptions = {},
): () => void {
  const { atUtcHour = 3, intervalMs, onError } = options;
  if (!Number.isInteger(atUtcHour) || atUtcHour < 0 || atUtcHour > 23) {
    throw new ActivityError('CONFIG', 'atUtcHour: must be an integer from 0 to 23', { field: 'atUtcHour' });
  }
  if (intervalMs !== undefined && (!Number.isInteger(intervalMs) || intervalMs < 1000)) {
    throw new ActivityError('CONFIG', 'intervalMs: must be an integer of at least 1000', {
      field: 'intervalMs',
    });
  }
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    await target.sweep?.();
    await target.run().catch((error: unknown) => onError?.(error));
  };
  const arm = () => {
    if (stopped) return;
    const delay = intervalMs ?? msUntilUtcHour(target.now(), atUtcHour);
    timer = setTimeout(() => void tick().finally(arm), delay);
    // A retention schedule must never keep the host process alive.
    timer.unref?.();
  };
  arm();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
