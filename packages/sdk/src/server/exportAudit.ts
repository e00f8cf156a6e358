/**
 * The names exports are recorded under in the log (the job, the export and download actions), the
 * message a failed export shows its client, and the actor an export is recorded for.
 */
import type { Actor, Viewer } from '../types.js';

/** Job name of async exports in the log. */
export const EXPORT_JOB_NAME = 'EXPORT_ACTIVITY_CSV';
/** Action of the USER_ACTION entry recorded for every export. */
export const EXPORT_ACTION = 'activity.exported';
/** Action recorded when an async export's file is downloaded. */
export const EXPORT_DOWNLOAD_ACTION = 'activity.export_downloaded';
/** What a failed export reports to the client; the cause stays in the job entry's error. */
export const EXPORT_FAILED_MESSAGE = 'the export failed; the job entry in the activity log has the details';

/** The viewer as the actor of the entries an export records. */
export function viewerActor(viewer: Viewer): Actor {
  return { kind: 'user', id: viewer.userId, name: viewer.name };
}
