/** Progress of a streamed download. */
export interface StreamProgress {
  bytes: number;
  /** Data rows received so far (header excluded). */
  rows: number;
}

/**
 * Reads a CSV response to the end, reporting bytes and rows as chunks arrive. Rows are counted by line
 * breaks outside quoted fields, so a multi-line summary counts once.
 */
export async function readCsvStream(
  response: Response,
  onProgress: (progress: StreamProgress) => void,
  signal?: AbortSignal,
): Promise<{ blob: Blob; progress: StreamProgress }> {
  const chunks: Uint8Array[] = [];
  const progress: StreamProgress = { bytes: 0, rows: 0 };
  let lines = 0;
  let inQuotes = false;
  let lastByte = -1;
  const count = (chunk: Uint8Array) => {
    for (const byte of chunk) {
      if (byte === 0x22) inQuotes = !inQuotes;
      else if (byte === 0x0a && !inQuotes) lines++;
      lastByte = byte;
    }
  };
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      if (signal?.aborted) {
        await reader.cancel();
        throw signal.reason ?? new Error('aborted');
      }
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      count(value);
      progress.bytes += value.byteLength;
      progress.rows = Math.max(0, lines - 1);
      onProgress({ ...progress });
    }
  } else {
    const buffer = new Uint8Array(await response.arrayBuffer());
    chunks.push(buffer);
    count(buffer);
    progress.bytes = buffer.byteLength;
  }
  // A last row without a trailing newline still counts.
  const totalLines = lines + (lastByte !== -1 && lastByte !== 0x0a ? 1 : 0);
  progress.rows = Math.max(0, totalLines - 1);
  onProgress({ ...progress });
  return { blob: new Blob(chunks as BlobPart[], { type: 'text/csv;charset=utf-8' }), progress };
}

/** File name from Content-Disposition, else `activity-<date>.csv`. */
export function exportFileName(response: Response, now: Date = new Date()): string {
  const header = response.headers.get('content-disposition') ?? '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header);
  const name = m?.[1] ? decodeURIComponent(m[1]) : '';
  // Never let a server-provided name carry a path.
  const safe = name.replace(/[\\/]/g, '_').trim();
  return safe || `activity-${now.toISOString().slice(0, 10)}.csv`;
}

/** Saves a blob through a temporary object URL and a clicked anchor (browser only). */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoke later: some browsers start the download asynchronously.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
