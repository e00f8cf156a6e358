/**
 * Bench page: mounts <ActivityTable/> and a bare @tanstack/react-virtual list over the same 100k rows,
 * on demand from the driver (`window.activityBench`), and reports the time to the first painted frame.
 */
import { ActivityProvider, type ActivityQueryClient, ActivityTable } from '@activity/react';
import type { ActivityEntry } from '@activity/sdk/client';
import { generateActivity } from '@activity/sdk/testing';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type ReactNode, useRef } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';

// The package stylesheet, as a host loads it (the table's real layout cost includes it).
import.meta.glob('../../../packages/react/src/styles.css', { eager: true });

const ROW_HEIGHT = 44;
let entries: ActivityEntry[] = [];

/** The table never calls its client; hooks elsewhere would. */
const idle = () => new Promise<never>(() => {});
const client = {
  list: idle,
  get: idle,
  facets: idle,
  histogram: idle,
  exportCsv: idle,
  retry: idle,
  subscribe: () => () => {},
} as unknown as ActivityQueryClient;

/** The baseline: the same rows through useVirtualizer, plain divs, no features. */
function BareList({ rows }: { rows: readonly ActivityEntry[] }): ReactNode {
  const ref = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({
    count: rows.length,
    getScrollElement: () => ref.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  return (
    // The table's scroll area is 560 px high (its --activity-table-height default): the same box here, so both
    // keep the same number of rows in the DOM.
    <div ref={ref} className="bare-scroll" style={{ height: 560, flex: 'none', overflow: 'auto' }}>
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {v.getVirtualItems().map((item) => {
          const e = rows[item.index]!;
          return (
            <div
              key={item.key}
              data-index={item.index}
              className="bare-row"
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                right: 0,
                height: ROW_HEIGHT,
                transform: `translateY(${item.start}px)`,
                display: 'flex',
                gap: 12,
              }}
            >
              <span>{e.occurredAt}</span>
              <span>{e.type}</span>
              <span>{e.actor.name ?? e.actor.id}</span>
              <span>
                {e.action} · {e.entity?.label}
              </span>
              <span>{e.status}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

let root: Root | undefined;
const container = document.getElementById('root')!;
const frame = () => new Promise<number>((r) => requestAnimationFrame(r));

declare global {
  interface Window {
    activityBench: {
      generate(count: number): number;
      mount(kind: 'table' | 'bare'): Promise<number>;
      unmount(): void;
    };
  }
}

window.activityBench = {
  generate(count) {
    entries = generateActivity({
      count,
      orgIds: ['org_demo'],
      seed: 7,
      now: new Date(),
      spanDays: 1,
    }).reverse();
    return entries.length;
  },
  async mount(kind) {
    root = createRoot(container);
    const start = performance.now();
    flushSync(() =>
      root!.render(
        kind === 'bare' ? (
          <BareList rows={entries} />
        ) : (
          <ActivityProvider client={client} theme="light">
            <div className="activity-theme" data-theme="light">
              <ActivityTable entries={entries} />
            </div>
          </ActivityProvider>
        ),
      ),
    );
    // Mounted = rows in the DOM and the frame that shows them painted.
    while (!container.querySelector('[data-index]')) await frame();
    await frame();
    return performance.now() - start;
  },
  unmount() {
    root?.unmount();
    root = undefined;
  },
};
