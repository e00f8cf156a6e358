/** Entry ids: time-sortable UUIDv7 from the `uuidv7` package. */
import { uuidv7 } from 'uuidv7';

/** A new time-sortable UUIDv7 entry id. */
export function newEntryId(): string {
  return uuidv7();
}
