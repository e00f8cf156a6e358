/**
 * The table's active (keyboard) row, controlled or not, and the row intent it feeds: making a row
 * active, like resting the pointer on it, is the moment to prefetch its full entry.
 */
import type { ActivityEntrySummary } from '@activity/sdk/client';
import { useEffect, useRef, useState } from 'react';
import { createRowIntent, type RowIntent } from './rowIntent.js';

/** What {@link useActiveRow} reads from the table's props. */
export interface ActiveRowOptions {
  entries: readonly ActivityEntrySummary[];
  activeIndex: number | undefined;
  defaultActiveIndex: number;
  onActiveIndexChange: ((index: number) => void) | undefined;
  onRowIntent: ((entry: ActivityEntrySummary) => void) | undefined;
}

/** The active index (-1 for none), its setter, and the row intent (cancelled on unmount). */
export function useActiveRow(options: ActiveRowOptions): {
  active: number;
  setActive: (index: number) => void;
  intent: RowIntent;
} {
  const { entries, activeIndex: activeProp, onActiveIndexChange, onRowIntent } = options;
  const [activeInternal, setActiveInternal] = useState(options.defaultActiveIndex);
  const active = activeProp ?? activeInternal;
  const entriesRef = useRef(entries);
  entriesRef.current = entries;
  const intentRef = useRef(onRowIntent);
  intentRef.current = onRowIntent;
  const [intent] = useState(() =>
    createRowIntent((id) => {
      const entry = entriesRef.current.find((e) => e.id === id);
      if (entry) intentRef.current?.(entry);
    }),
  );
  useEffect(() => () => intent.cancel(), [intent]);
  const setActive = (i: number) => {
    if (activeProp === undefined) setActiveInternal(i);
    onActiveIndexChange?.(i);
    intent.point(entries[i]?.id);
  };
  return { active, setActive, intent };
}
