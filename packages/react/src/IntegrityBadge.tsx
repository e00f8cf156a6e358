import type { ActivityEntry } from '@activity/sdk/client';
import type { ReactNode } from 'react';
import { useActivityContext } from './context.js';
import { formatExact } from './format.js';
import { cx } from './StatusBadge.js';
import { type EntryIntegrity, useEntryIntegrity } from './useEntryIntegrity.js';

/** The badge's texts; override any through {@link IntegrityBadgeProps.strings}. */
export interface IntegrityStrings {
  title: string;
  checking: string;
  verified: (sequence: number, time: string) => string;
  unsupported: (sequence: number, time: string) => string;
  unsealed: (minutes: number) => string;
  failed: (kind: string) => string;
}

/** English defaults of {@link IntegrityStrings}. */
export const INTEGRITY_STRINGS: IntegrityStrings = {
  title: 'Integrity',
  checking: 'Checking integrity…',
  verified: (n, time) => `Verified — sealed in digest #${n} at ${time}`,
  unsupported: (n, time) => `Sealed in digest #${n} at ${time} (this browser cannot check the signature)`,
  unsealed: (minutes) => `Not sealed yet (sealed every ${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`,
  failed: (kind) => `Integrity check failed: ${kind}`,
};

/** Props of {@link IntegrityBadge}. */
export interface IntegrityBadgeProps {
  entry: Pick<ActivityEntry, 'id'>;
  strings?: Partial<IntegrityStrings> | undefined;
  className?: string | undefined;
}

const STATUS: Record<EntryIntegrity['state'], string> = {
  off: '',
  checking: 'in-progress',
  unsealed: 'in-progress',
  verified: 'success',
  unsupported: 'warning',
  failed: 'failed',
};

/**
 * Shows whether an entry is sealed and whether its proof checks out in this browser: "Verified — sealed
 * in digest #N at <time>", "Not sealed yet (sealed every N minutes)", or a red "Integrity check failed".
 * Renders nothing when the server has no integrity routes.
 */
export function IntegrityBadge({ entry, strings: overrides, className }: IntegrityBadgeProps): ReactNode {
  const { locale, timeZone } = useActivityContext();
  const integrity = useEntryIntegrity(entry);
  if (integrity.state === 'off') return null;
  const s = { ...INTEGRITY_STRINGS, ...overrides };
  const at = (iso: string) => formatExact(iso, { locale, timeZone });
  let text: string;
  switch (integrity.state) {
    case 'checking':
      text = s.checking;
      break;
    case 'unsealed':
      text = s.unsealed(Math.max(1, Math.round(integrity.intervalMs / 60_000)));
      break;
    case 'verified':
      text = s.verified(integrity.digest.sequence, at(integrity.digest.sealedAt));
      break;
    case 'unsupported':
      text = s.unsupported(integrity.digest.sequence, at(integrity.digest.sealedAt));
      break;
    case 'failed':
      text = s.failed(integrity.kind);
      break;
  }
  return (
    <section className={cx('activity-section', className)} aria-label={s.title} data-state={integrity.state}>
      <h3 className="activity-section-title">{s.title}</h3>
      <p role={integrity.state === 'failed' ? 'alert' : 'status'}>
        <span className="activity-badge" data-status={STATUS[integrity.state]} data-icon="">
          {text}
        </span>
      </p>
      {integrity.state === 'failed' && <p className="activity-muted">{integrity.message}</p>}
    </section>
  );
}
