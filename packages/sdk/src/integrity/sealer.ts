/**
 * The sealer: on demand and on a schedule, seals each org's final unsealed entries into signed,
 * chained digests. One seal per org at a time is the store's job (its lock); the sealer only loops.
 */
import type { KeyObject } from 'node:crypto';
import { ActivityError } from '../errors.js';
import type { ActivityStore } from '../types.js';
import { buildDigest, type DigestSigner } from './digest.js';
import { type DigestSink, exportDigests } from './export.js';
import { type KeyInput, keyIdOf, toPrivateKey, toPublicKey } from './keys.js';
import type { Digest, IntegrityStore } from './types.js';

/** A store that can be sealed: every store of this package (memory through `createMemoryIntegrityStore`). */
export type SealableStore = Pick<ActivityStore, 'listOrgs'> & IntegrityStore;

/** Options of {@link createSealer}. */
export interface SealerOptions {
  store: SealableStore;
  /** The current Ed25519 private key (PEM PKCS#8, JWK or KeyObject), from the host's secret configuration. */
  signingKey: KeyInput;
  /** Id written into each digest. @default derived from the public key (`keyIdOf`) */
  keyId?: string | undefined;
  /** How often {@link Sealer.schedule} seals. @default 300000 (5 minutes) */
  intervalMs?: number | undefined;
  /** Most entries in one digest (one Merkle tree); more make several digests. @default 10000 */
  maxEntriesPerDigest?: number | undefined;
  /**
   * Where each new digest is also written, out of the database admin's reach (the server's
   * `createFolderArchiveSink`, object storage with object lock): an auditor verifies against these, so
   * dropping the newest digests from the store is found. Written after the seal commits; a digest the
   * sink missed (a failed write, a crash) is written by the next seal.
   */
  sink?: DigestSink | undefined;
  /** Receives a failed scheduled seal (the next tick tries again). */
  onError?: ((error: ActivityError) => void) | undefined;
  /** Clock, for tests. @default () => new Date() */
  now?: (() => Date) | undefined;
}

/** What {@link Sealer.sealNow} did. */
export interface SealReport {
  digests: Digest[];
  entries: number;
  /** Digests written to {@link SealerOptions.sink} (new ones and any an earlier run missed). */
  exported: number;
}

/** The sealer. */
export interface Sealer {
  /** Seals the final unsealed entries of one org, or of every org. */
  sealNow(orgId?: string): Promise<SealReport>;
  /** Seals every `intervalMs` until the returned function (or `stop()`) is called. The timer is unref'd. */
  schedule(): () => void;
  /** Stops the schedule and waits for a running seal. */
  stop(): Promise<void>;
  /** The key id and public key of the current signing key. */
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly intervalMs: number;
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new ActivityError('CONFIG', `${field}: must be a positive integer`, { field });
  }
  return value;
}

/**
 * Creates a sealer. Run one per app server if you like: the store's per-org lock makes concurrent
 * seals produce one chain.
 * @example const sealer = createSealer({ store, signingKey: process.env.ACTIVITY_SIGNING_KEY! }); sealer.schedule();
 */
export function createSealer(options: SealerOptions): Sealer {
  const { store } = options;
  if (options.sink !== undefined && typeof options.sink?.write !== 'function') {
    throw new ActivityError(
      'CONFIG',
      'sink: must have write(key, data) and list(prefix), like an archive sink',
      {
        field: 'sink',
      },
    );
  }
  if (typeof store?.sealBatch !== 'function') {
    throw new ActivityError(
      'CONFIG',
      'store: this store cannot be sealed; wrap the memory store with createMemoryIntegrityStore(store)',
      { field: 'store' },
    );
  }
  const privateKey = toPrivateKey(options.signingKey);
  const publicKey = toPublicKey(privateKey);
  const signer: DigestSigner = { keyId: options.keyId ?? keyIdOf(publicKey), privateKey };
  const intervalMs = positive(options.intervalMs, 300_000, 'intervalMs');
  const limit = positive(options.maxEntriesPerDigest, 10_000, 'maxEntriesPerDigest');
  const now = options.now ?? (() => new Date());
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function sealOrg(orgId: string, report: SealReport): Promise<void> {
    let afterId: string | undefined;
    const runStartedAt = now().toISOString();
    for (;;) {
      const digest = await store.sealBatch(orgId, { limit, afterId }, (previous, rows) =>
        buildDigest(orgId, previous, rows, signer, now().toISOString(), runStartedAt),
      );
      if (!digest) return;
      report.digests.push(digest);
      report.entries += digest.entryCount;
      if (digest.entryCount < limit) return;
      afterId = digest.lastId;
    }
  }

  async function sealNow(orgId?: string): Promise<SealReport> {
    const report: SealReport = { digests: [], entries: 0, exported: 0 };
    const orgs = orgId === undefined ? await store.listOrgs() : [orgId];
    for (const org of orgs) {
      await sealOrg(org, report);
      if (options.sink) report.exported += (await exportDigests(store, options.sink, org)).length;
    }
    return report;
  }

  const tick = () => {
    // A seal slower than the interval is not stacked on: the next tick catches up.
    if (busy) return;
    busy = true;
    running = sealNow()
      .catch((cause: unknown) => {
        const error =
          cause instanceof ActivityError
            ? cause
            : new ActivityError('STORE_FAILED', `sealer: ${String(cause)}`, { cause });
        try {
          options.onError?.(error);
        } catch {
          // A throwing handler must not stop the schedule.
        }
      })
      .finally(() => {
        busy = false;
      });
  };

  const stopTimer = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  return {
    keyId: signer.keyId,
    publicKey,
    intervalMs,
    sealNow,
    schedule() {
      stopTimer();
      timer = setInterval(tick, intervalMs);
      timer.unref?.();
      return stopTimer;
    },
    async stop() {
      stopTimer();
      await running;
    },
  };
}
