import type { ActivityFilter, IntegrityVerifyResponse } from '@activity/sdk/client';
import { type ReactNode, useState } from 'react';
import { useActivityContext } from './context.js';
import { cx } from './StatusBadge.js';
import { useIntegrityKeys } from './useEntryIntegrity.js';

/** Props of {@link VerifyRange}. */
export interface VerifyRangeProps {
  /** The page's filter: its time range is verified (the org is always the viewer's). */
  filter: ActivityFilter;
  className?: string | undefined;
}

type RunState =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'done'; result: IntegrityVerifyResponse }
  | { state: 'error'; message: string };

/** One line about a verify result. */
export function describeVerify(result: IntegrityVerifyResponse): string {
  if (result.ok) {
    const { digests, entries } = result.checked;
    return `Verified: ${entries} ${entries === 1 ? 'entry' : 'entries'} in ${digests} ${digests === 1 ? 'digest' : 'digests'}, nothing changed`;
  }
  const b = result.firstBreak;
  const where = [b?.entryId && `entry ${b.entryId}`, b?.digestSequence && `digest #${b.digestSequence}`]
    .filter(Boolean)
    .join(', ');
  return `Integrity check failed: ${b?.kind ?? 'unknown'}${where ? ` (${where})` : ''}`;
}

/**
 * "Verify this range": asks the server to recompute the digests, chain, signatures and entries of the
 * filter's time range and shows the first break, if any. Renders nothing without integrity support.
 */
export function VerifyRange({ filter, className }: VerifyRangeProps): ReactNode {
  const { client } = useActivityContext();
  const [run, setRun] = useState<RunState>({ state: 'idle' });
  const { enabled } = useIntegrityKeys();
  const verify = client.verifyIntegrity;
  if (typeof verify !== 'function' || !enabled) return null;
  const start = async () => {
    setRun({ state: 'running' });
    try {
      setRun({ state: 'done', result: await verify.call(client, filter) });
    } catch (error) {
      // 404: the server has no integrity routes; say so rather than fail silently.
      const status = (error as { status?: number }).status;
      setRun({
        state: 'error',
        message: status === 404 ? 'Integrity is not enabled on this server' : String(error),
      });
    }
  };
  const failed = run.state === 'error' || (run.state === 'done' && !run.result.ok);
  return (
    <div
      className={cx('activity-verify-range', className)}
      data-state={run.state === 'done' ? (run.result.ok ? 'ok' : 'failed') : run.state}
    >
      <button type="button" className="activity-button" onClick={start} disabled={run.state === 'running'}>
        {run.state === 'running' ? 'Verifying…' : 'Verify this range'}
      </button>
      {(run.state === 'done' || run.state === 'error') && (
        <span
          role={failed ? 'alert' : 'status'}
          className="activity-badge"
          data-status={failed ? 'failed' : 'success'}
        >
          {run.state === 'done' ? describeVerify(run.result) : run.message}
        </span>
      )}
    </div>
  );
}
