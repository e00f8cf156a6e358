import type { ActivityFilter } from '@activity/sdk/client';
import { useCallback, useRef, useState } from 'react';
import { useActivityContext } from './context.js';
import { exportFileName, readCsvStream, saveBlob } from './exportCsv.js';

/** Where an export stands. */
export type ExportState =
  | { status: 'idle' }
  | { status: 'streaming'; bytes: number; rows: number }
  | { status: 'done'; bytes: number; rows: number; fileName: string }
  | { status: 'async'; exportId?: string | undefined }
  | { status: 'error'; error: Error };

/** Options of {@link useExport}. */
export interface UseExportOptions {
  /** Called with the finished file instead of downloading it (tests, custom storage). */
  onFile?: ((blob: Blob, fileName: string) => void) | undefined;
}

/** Result of {@link useExport}. */
export interface UseExportResult {
  state: ExportState;
  /** Starts an export of the filter; streams a download, or reports an async export (202). */
  start: () => Promise<void>;
  /** Stops a streaming export. */
  cancel: () => void;
  reset: () => void;
}

/** CSV export of the current filter: streamed with progress, or a background job past the server's threshold. */
export function useExport(filter: ActivityFilter, options: UseExportOptions = {}): UseExportResult {
  const { client } = useActivityContext();
  const [state, setState] = useState<ExportState>({ status: 'idle' });
  const controller = useRef<AbortController | null>(null);
  const onFile = options.onFile;
  const start = useCallback(async () => {
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setState({ status: 'streaming', bytes: 0, rows: 0 });
    try {
      const result = await client.exportCsv(filter);
      if (result.kind === 'started') {
        // Past the server's threshold the export runs as a job and the link is emailed (202).
        setState({ status: 'async', exportId: result.exportId });
        return;
      }
      const { response } = result;
      const { blob, progress } = await readCsvStream(
        response,
        (p) => {
          if (!abort.signal.aborted) setState({ status: 'streaming', ...p });
        },
        abort.signal,
      );
      const fileName = result.filename || exportFileName(response);
      if (onFile) onFile(blob, fileName);
      else saveBlob(blob, fileName);
      setState({ status: 'done', ...progress, fileName });
    } catch (error) {
      if (abort.signal.aborted) setState({ status: 'idle' });
      else setState({ status: 'error', error: error instanceof Error ? error : new Error(String(error)) });
    }
  }, [client, filter, onFile]);
  const cancel = useCallback(() => controller.current?.abort(), []);
  const reset = useCallback(() => setState({ status: 'idle' }), []);
  return { state, start, cancel, reset };
}
