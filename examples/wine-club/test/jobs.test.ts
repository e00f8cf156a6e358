/**
 * Regression (issue 12): `pnpm demo` printed `MaxListenersExceededWarning: 11 abort listeners added to
 * [AbortSignal]`. Each step of a simulated job waited with a listener on the simulator's (or the server's)
 * one long-lived signal and never removed it once the step's timer fired.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createHostData } from '../server/data.js';
import { processReleasePayments, syncSquareStock } from '../server/jobs.js';

const run = { progress: () => undefined };

describe('simulated jobs', () => {
  it('leave no abort listener on the shared signal after finishing, however many run', async () => {
    const controller = new AbortController();
    const sim = { durationMs: 20, failureRate: 0, signal: controller.signal, random: () => 0.5 };
    const data = createHostData();
    for (let i = 0; i < 3; i++) {
      await processReleasePayments(run, 40, sim);
      await syncSquareStock(run, data, sim);
    }
    // 60 steps have waited on this signal; before the fix, 60 listeners were still attached.
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('still stop at once when the signal aborts mid-run, and leave nothing behind', async () => {
    const controller = new AbortController();
    const sim = { durationMs: 60_000, failureRate: 0, signal: controller.signal };
    const running = processReleasePayments(run, 40, sim);
    await new Promise((r) => setTimeout(r, 10));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('shutdown'));
    await expect(running).rejects.toThrow('shutdown');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
