/**
 * A local mail transport for development: every message is written as a JSON file in `outbox/`, and
 * `/dev/inbox` lists them. The async export's "your file is ready" email lands here.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One sent message. */
export interface MailMessage {
  id: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  /** The call to action (the download link). */
  link?: string | undefined;
  sentAt: string;
}

/** Sends and lists messages. */
export interface Outbox {
  /** Writes the message to the outbox folder; resolves with its id. */
  send(message: Omit<MailMessage, 'id' | 'sentAt' | 'from'> & { from?: string | undefined }): Promise<string>;
  /** Every message, newest first. */
  list(): Promise<MailMessage[]>;
  /** The folder messages are written to. */
  readonly dir: string;
}

/** Creates the file-backed outbox in `dir` (created on first send). */
export function createOutbox(dir: string): Outbox {
  let serial = 0;
  return {
    dir,
    async send(message) {
      await mkdir(dir, { recursive: true });
      const sentAt = new Date().toISOString();
      // Time-ordered names: the folder listing reads like an inbox.
      const id = `${sentAt.replace(/[:.]/g, '-')}-${(serial++).toString().padStart(3, '0')}`;
      const full: MailMessage = {
        id,
        from: 'Cellar Door <no-reply@cellar-door.example>',
        sentAt,
        ...message,
      };
      await writeFile(join(dir, `${id}.json`), `${JSON.stringify(full, null, 2)}\n`);
      return id;
    },
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return [];
      }
      const messages: MailMessage[] = [];
      for (const name of names
        .filter((n) => n.endsWith('.json'))
        .sort()
        .reverse()) {
        try {
          messages.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as MailMessage);
        } catch {
          // A half-written or hand-edited file: skip it rather than break the page.
        }
      }
      return messages;
    },
  };
}
