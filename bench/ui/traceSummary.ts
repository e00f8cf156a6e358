/**
 * Summarises a Chromium trace (JSON from `Tracing`/`browser.stopTracing`) of the renderer's main thread:
 * self time per trace event (Layout, UpdateLayoutTree, Paint, FunctionCall …) grouped the way DevTools
 * groups them, and self/total time per JavaScript function from the V8 CPU profile in the same trace.
 */

interface TraceEvent {
  pid: number;
  tid: number;
  ts: number;
  ph: string;
  name: string;
  cat?: string;
  dur?: number;
  tdur?: number;
  id?: string;
  args?: {
    name?: string;
    data?: {
      cpuProfile?: {
        nodes?: {
          id: number;
          parent?: number;
          callFrame: { functionName: string; url?: string; lineNumber: number };
        }[];
        samples?: number[];
      };
      timeDeltas?: number[];
    };
  };
}

/** Milliseconds per name, largest first. */
export type Breakdown = Array<[name: string, ms: number]>;

/** What the main thread did over a traced interval. */
export interface TraceSummary {
  /** Sum of top-level tasks, wall clock, ms. */
  busyMs: number;
  /** Sum of top-level tasks, thread (CPU) time where the trace has it, ms. */
  busyThreadMs: number;
  /** Self time per DevTools category (scripting, rendering: style, layout …, painting, gc, other). */
  categories: Breakdown;
  /** Self time per trace event name. */
  events: Breakdown;
  /** Self time per JS function (`name file:line`), from the CPU profile. */
  selfFunctions: Breakdown;
  /** Total (inclusive) time per JS function. */
  totalFunctions: Breakdown;
}

const CATEGORY: Record<string, string> = {
  UpdateLayoutTree: 'style',
  RecalculateStyles: 'style',
  ScheduleStyleRecalculation: 'style',
  ParseAuthorStyleSheet: 'style',
  Layout: 'layout',
  UpdateLayerTree: 'layout',
  'LocalFrameView::RunPostLifecycleSteps': 'layout',
  IntersectionObserverController_computeIntersections: 'layout',
  PrePaint: 'paint',
  Paint: 'paint',
  PaintImage: 'paint',
  Layerize: 'paint',
  Commit: 'paint',
  UpdateLayer: 'paint',
  'LocalFrameView::UpdateViewportIntersectionsForSubtree': 'layout',
  HitTest: 'layout',
  MinorGC: 'gc',
  MajorGC: 'gc',
  'V8.GC_SCAVENGER': 'gc',
  'BlinkGC.AtomicPhase': 'gc',
  'CppGC.IncrementalSweep': 'gc',
  FunctionCall: 'script',
  EvaluateScript: 'script',
  EventDispatch: 'script',
  FireAnimationFrame: 'script',
  TimerFire: 'script',
  RunMicrotasks: 'script',
  'v8.run': 'script',
  'v8.callFunction': 'script',
  'V8.Execute': 'script',
};

function category(e: TraceEvent): string {
  const known = CATEGORY[e.name];
  if (known) return known;
  if (/GC/i.test(e.name)) return 'gc';
  if (e.cat?.includes('v8')) return 'script';
  return 'other';
}

const sortDesc = (m: Map<string, number>, limit: number): Breakdown =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([k, v]) => [k, Math.round(v * 10) / 10]);

/** The busiest renderer main thread in `events`: the page's. */
function mainThread(events: TraceEvent[]): { pid: number; tid: number } {
  const mains = events.filter(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  );
  let best = { pid: 0, tid: 0, count: -1 };
  for (const m of mains) {
    const count = events.filter((e) => e.pid === m.pid && e.tid === m.tid && e.ph === 'X').length;
    if (count > best.count) best = { pid: m.pid, tid: m.tid, count };
  }
  return best;
}

/** Complete events (X, or B/E pairs) of one thread, sorted by start, parents before children. */
function completeEvents(events: TraceEvent[], pid: number, tid: number): TraceEvent[] {
  const out: TraceEvent[] = [];
  const open: TraceEvent[] = [];
  for (const e of events) {
    if (e.pid !== pid || e.tid !== tid) continue;
    if (e.ph === 'X' && e.dur !== undefined) out.push(e);
    else if (e.ph === 'B') open.push(e);
    else if (e.ph === 'E') {
      const b = open.pop();
      if (b) out.push({ ...b, ph: 'X', dur: e.ts - b.ts });
    }
  }
  return out.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
}

function eventBreakdown(list: TraceEvent[]) {
  const events = new Map<string, number>();
  const categories = new Map<string, number>();
  const stack: { e: TraceEvent; end: number; child: number }[] = [];
  let busyMs = 0;
  let busyThreadMs = 0;
  const close = (upTo: number) => {
    while (stack.length && stack[stack.length - 1]!.end <= upTo) {
      const top = stack.pop()!;
      const self = Math.max(0, (top.e.dur ?? 0) - top.child) / 1000;
      events.set(top.e.name, (events.get(top.e.name) ?? 0) + self);
      const cat = category(top.e);
      categories.set(cat, (categories.get(cat) ?? 0) + self);
    }
  };
  for (const e of list) {
    close(e.ts);
    const parent = stack[stack.length - 1];
    if (parent) parent.child += e.dur ?? 0;
    else {
      busyMs += (e.dur ?? 0) / 1000;
      busyThreadMs += (e.tdur ?? e.dur ?? 0) / 1000;
    }
    stack.push({ e, end: e.ts + (e.dur ?? 0), child: 0 });
  }
  close(Number.POSITIVE_INFINITY);
  return { events, categories, busyMs, busyThreadMs };
}

function profileBreakdown(events: TraceEvent[], pid: number) {
  const nodes = new Map<number, { parent?: number; label: string }>();
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const e of events) {
    // Chunks come from the sampler thread; the page's renderer process has one profile (its main thread).
    if (e.name !== 'ProfileChunk' || e.pid !== pid) continue;
    const profile = e.args?.data?.cpuProfile;
    for (const n of profile?.nodes ?? []) {
      const file = (n.callFrame.url ?? '').split('/').pop() || '';
      const label = `${n.callFrame.functionName || '(anonymous)'}${file ? ` ${file}:${n.callFrame.lineNumber + 1}` : ''}`;
      nodes.set(n.id, { ...(n.parent === undefined ? {} : { parent: n.parent }), label });
    }
    const samples = profile?.samples ?? [];
    const deltas = e.args?.data?.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      // A sample's weight: the time to the next one (the last takes the previous interval).
      const ms = Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
      let node = nodes.get(samples[i]!);
      if (!node) continue;
      self.set(node.label, (self.get(node.label) ?? 0) + ms);
      const seen = new Set<string>();
      while (node) {
        if (!seen.has(node.label)) {
          seen.add(node.label);
          total.set(node.label, (total.get(node.label) ?? 0) + ms);
        }
        node = node.parent === undefined ? undefined : nodes.get(node.parent);
      }
    }
  }
  for (const idle of ['(idle)', '(root)', '(program)']) total.delete(idle);
  self.delete('(idle)');
  return { self, total };
}

/** Summarises one trace; `limit` rows per breakdown. */
export function summariseTrace(
  trace: { traceEvents: TraceEvent[] } | TraceEvent[],
  limit = 25,
): TraceSummary {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const { pid, tid } = mainThread(events);
  const ev = eventBreakdown(completeEvents(events, pid, tid));
  const js = profileBreakdown(events, pid);
  return {
    busyMs: Math.round(ev.busyMs),
    busyThreadMs: Math.round(ev.busyThreadMs),
    categories: sortDesc(ev.categories, limit),
    events: sortDesc(ev.events, limit),
    selfFunctions: sortDesc(js.self, limit),
    totalFunctions: sortDesc(js.total, limit),
  };
}
