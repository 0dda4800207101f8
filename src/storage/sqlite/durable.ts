/**
 * Durable writes with group commit. The writes requested in one turn of the event loop are
 * committed together, in one transaction on the serving connection, so reads see them at
 * once with the page cache still warm. The log is synced off the event loop (fdatasync on
 * the libuv pool); a write that must survive a crash is done once a sync that began after
 * its commit has finished, and one sync serves every commit made before it began.
 */
import { realpathSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type Sqlite from 'better-sqlite3';
import { Busy, StoreUnavailable } from '../../errors.js';
import type { FromCheckpointer, ToCheckpointer } from './checkpointer.js';
import type { Sweep } from '../store.js';
import { commitBatch, sweepInChunks, waitsForDisk, type WriteArgs, type WriteName, type WriteOutcome, type WriteRequest, type WriteResult } from './writes.js';

interface Waiter {
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}
type Queued = Waiter & { request: WriteRequest };
type Result = { outcomes: WriteOutcome[] } | { error: unknown };

/** How long a write that asked to ride along (an audit event) waits for another write to commit with. */
const RIDE_ALONG_MS = 20;

/** How long a commit that promised nothing (an audit event) waits for a sync: the audit trail is on disk within this much. */
export const SYNC_WITHIN_MS = 1000;

/** How soon after a commit the checkpointer copies the log into the database file. */
export const CHECKPOINT_WITHIN_MS = 1000;

/**
 * A log this long (in pages, about 16 MiB of 4 KiB pages) that the checkpointer's passive
 * passes could not copy whole, because writes kept coming, is copied with writers held off
 * (they retry meanwhile, see commit) rather than left to grow without end.
 */
export const LOG_LIMIT_PAGES = 4000;

/** How long a batch keeps trying while another process (the CLI) holds the write lock, and how often. */
const BUSY_FOR_MS = 5000;
const BUSY_RETRY_MS = 5;

/** How long closing waits for the checkpointer thread to say it closed before stopping it. */
const CLOSE_WAIT_MS = 10_000;

/** Where commits are made durable: the database's log. */
export interface Log {
  /** Resolves once everything written to the log before the call is on disk. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The write-ahead log of the database `file`, synced with fdatasync. SQLite names the log
 * after the file a symbolic link points to, so the path is resolved first. While this
 * process has the database open, no one deletes or replaces the log (another connection
 * closing leaves it; a restart rewrites it in place; journal_size_limit only truncates it).
 */
export function walLog(file: string): Log {
  file = realpathSync(file);
  let handle: Promise<FileHandle> | undefined;
  const opened = () => (handle ??= open(`${file}-wal`, 'r').catch((error) => {
    handle = undefined; // tried again at the next sync
    throw error;
  }));
  return {
    sync: async () => (await opened()).datasync(),
    close: async () => {
      await (await handle?.catch(() => undefined))?.close();
    },
  };
}

export class DurableWriter {
  private queue: Queued[] = [];
  private scheduled = false;
  /** The timer that commits writes riding along when no other write came. */
  private waiting: NodeJS.Timeout | undefined;
  private readonly watchers: Array<(op: WriteName) => void> = [];
  /** Commits waiting for the next sync to begin. */
  private awaitingSync: Array<{ done: () => void; fail: (error: unknown) => void }> = [];
  /** The sync running now, if any. */
  private syncing: Promise<void> | undefined;
  /** Commits that promised nothing went without a sync since the last began; `syncTimer` syncs them. */
  private unsynced = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private closed: Promise<void> | undefined;
  /**
   * A sync that failed: the kernel may have dropped what it could not write and would report
   * the next sync as fine, so no write is acknowledged after it (503 until masks restarts).
   */
  private syncFailed: Error | undefined;
  /** Since when the write lock has been held by another process, and the timer that tries again. */
  private busySince: number | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** Batches committed, writes done, and seconds from commit to done, summed (benchmarks, metrics, tests). */
  readonly stats = { batches: 0, writes: 0, seconds: 0 };

  /** A database in memory (tests) has neither a log to sync nor a checkpointer. */
  constructor(
    private readonly db: Sqlite.Database,
    private readonly log: Log | undefined,
    private readonly checkpointer: Checkpointer | undefined,
  ) {
    // The serving connection never waits for a lock: a commit that finds the write lock taken
    // (by the CLI, or a restart checkpoint) is retried from a timer instead (see commit), and
    // in WAL mode reads take no lock another connection holds for long (only recovery after
    // a crash, which opening the database has done).
    db.pragma('busy_timeout = 0');
  }

  static for(db: Sqlite.Database, file: string): DurableWriter {
    return file === ':memory:' ? new DurableWriter(db, undefined, undefined) : new DurableWriter(db, walLog(file), new Checkpointer(file));
  }

  /**
   * Call `watcher` with the name of every write when it is queued and again once it is done
   * (or failed): a read cache drops what the write may change, so a revocation or an ended
   * session is seen at once, whoever asked for it.
   */
  watch(watcher: (op: WriteName) => void): void {
    this.watchers.push(watcher);
  }

  private notify(op: WriteName) {
    for (const watcher of this.watchers) watcher(op);
  }

  /**
   * Queue a write; it is committed with the others of this turn of the event loop. `rideAlong`:
   * a write nobody waits for (an audit event) goes with the next batch instead, or on its own
   * after RIDE_ALONG_MS, so it costs no commit of its own while requests keep coming.
   */
  run<K extends WriteName>(op: K, args: WriteArgs<K>, options: { rideAlong?: boolean } = {}): Promise<WriteResult<K>> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    if (this.syncFailed) return Promise.reject(this.syncFailed);
    this.notify(op);
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { op, args }, resolve, reject });
      if (this.scheduled) return;
      if (!options.rideAlong) {
        this.scheduled = true;
        setImmediate(() => this.commit());
      } else if (!this.waiting) {
        this.waiting = setTimeout(() => this.commit(), RIDE_ALONG_MS);
      }
    });
  }

  private commit() {
    this.scheduled = false;
    clearTimeout(this.waiting);
    this.waiting = undefined;
    if (this.retry) return; // the write lock is another's: the retry commits what waits
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const started = performance.now();
    let outcomes: WriteOutcome[];
    try {
      outcomes = commitBatch(this.db, batch.map((item) => item.request));
    } catch (error) {
      const busy = (error as { code?: string }).code === 'SQLITE_BUSY';
      if (busy && performance.now() - (this.busySince ??= performance.now()) < BUSY_FOR_MS) {
        this.queue = [...batch, ...this.queue];
        this.retry = setTimeout(() => {
          this.retry = undefined;
          this.commit();
        }, BUSY_RETRY_MS);
        return;
      }
      this.busySince = undefined;
      // Still locked after BUSY_FOR_MS: the request is answered 503, try again shortly.
      this.settle(batch, { error: busy ? new Busy('the database is locked by another process', { cause: error }) : error }, started);
      return;
    }
    this.busySince = undefined;
    this.stats.batches++;
    this.stats.writes += batch.length;
    this.checkpointer?.afterCommit();
    if (!this.log) this.settle(batch, { outcomes }, started);
    else if (batch.some((item) => waitsForDisk(item.request))) {
      this.afterSync({ done: () => this.settle(batch, { outcomes }, started), fail: (error) => this.settle(batch, { error }, started) });
    } else {
      this.syncWithin();
      this.settle(batch, { outcomes }, started);
    }
  }

  /** Settle every write of a batch; `started`: when its commit began (the metrics' commit time). */
  private settle(batch: Queued[], result: Result, started: number) {
    this.stats.seconds += (performance.now() - started) / 1000;
    for (const item of batch) this.notify(item.request.op);
    batch.forEach((item, i) => ('outcomes' in result ? settleOne(item, result.outcomes[i]!) : item.reject(result.error)));
  }

  /** Delete expired rows (see sweepInChunks): on the checkpointer thread, so a long sweep never stalls requests. */
  sweep(args: Sweep): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    return this.checkpointer ? this.checkpointer.sweep(args) : Promise.resolve(sweepInChunks(this.db, args));
  }

  /** Run `waiter` once a sync that begins after now has finished. */
  private afterSync(waiter: { done: () => void; fail: (error: unknown) => void }) {
    this.awaitingSync.push(waiter);
    if (!this.syncing) this.sync();
  }

  private sync() {
    if (this.syncFailed) {
      for (const waiter of this.awaitingSync.splice(0)) waiter.fail(this.syncFailed);
      return;
    }
    const group = this.awaitingSync;
    this.awaitingSync = [];
    this.unsynced = false;
    clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    this.syncing = this.log!.sync()
      .then(
        () => group.forEach((waiter) => waiter.done()),
        (error: unknown) => {
          this.syncFailed = new StoreUnavailable(`the database log could not be synced (${(error as Error).message}): restart masks`, { cause: error });
          group.forEach((waiter) => waiter.fail(this.syncFailed));
        },
      )
      .finally(() => {
        this.syncing = undefined;
        if (this.awaitingSync.length > 0) this.sync();
      });
  }

  /** A commit went without a sync: one runs within SYNC_WITHIN_MS unless another comes first. */
  private syncWithin() {
    this.unsynced = true;
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = undefined;
      if (this.unsynced) this.afterSync({ done: () => {}, fail: () => {} });
    }, SYNC_WITHIN_MS).unref();
  }

  /** Commit what is queued, wait until everything committed is on disk, stop the checkpointer. */
  close(): Promise<void> {
    return (this.closed ??= (async () => {
      this.commit();
      // A commit kept off by another process's lock is retried until done or failed (BUSY_FOR_MS).
      while (this.retry) await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
      if (this.log && !this.syncFailed && (this.unsynced || this.syncing || this.awaitingSync.length > 0)) {
        await new Promise<void>((resolve) => this.afterSync({ done: resolve, fail: () => resolve() }));
      }
      clearTimeout(this.syncTimer);
      await this.checkpointer?.close();
      await this.log?.close();
    })());
  }
}

function settleOne(item: Waiter, outcome: WriteOutcome) {
  if (outcome.ok) item.resolve(outcome.value);
  else item.reject(Object.assign(new Error(outcome.message), outcome.code ? { code: outcome.code } : {}));
}

/** Asks the checkpointer thread for a checkpoint within CHECKPOINT_WITHIN_MS of a commit; started at the first. */
class Checkpointer {
  private thread: Worker | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private sweeps = new Map<number, { resolve: (tokens: number) => void; reject: (error: Error) => void }>();
  private sweepIds = 0;

  constructor(private readonly file: string) {}

  afterCommit(): void {
    if (this.timer || this.closing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.worker.postMessage({ type: 'checkpoint' } satisfies ToCheckpointer);
    }, CHECKPOINT_WITHIN_MS).unref();
  }

  sweep(args: Sweep): Promise<number> {
    const id = ++this.sweepIds;
    return new Promise((resolve, reject) => {
      this.sweeps.set(id, { resolve, reject });
      this.worker.ref(); // a sweep under way keeps the process up until it is done
      this.worker.postMessage({ type: 'sweep', id, args } satisfies ToCheckpointer);
    });
  }

  private answered(message: FromCheckpointer) {
    if (message.type === 'closed') return;
    const sweep = this.sweeps.get(message.id);
    this.sweeps.delete(message.id);
    if (this.sweeps.size === 0 && !this.closing) this.thread?.unref();
    if (message.type === 'swept') sweep?.resolve(message.tokens);
    else sweep?.reject(new Error(message.message));
  }

  private get worker(): Worker {
    if (!this.thread) {
      const worker = startCheckpointer(this.file);
      worker.on('message', (message: FromCheckpointer) => this.answered(message));
      // A thread that failed is started again when next needed; the log waits for it meanwhile.
      worker.on('error', () => {});
      worker.on('exit', () => {
        if (this.thread === worker) this.thread = undefined;
        for (const sweep of this.sweeps.values()) sweep.reject(new Error('the checkpointer thread stopped'));
        this.sweeps.clear();
      });
      worker.unref();
      this.thread = worker;
    }
    return this.thread;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    const worker = this.thread;
    if (!worker) return;
    worker.ref();
    // The thread says it closed (or exits); one that does not answer within CLOSE_WAIT_MS is stopped all the same.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_WAIT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      worker.on('message', (message: FromCheckpointer) => message.type === 'closed' && done());
      worker.once('exit', done);
      worker.postMessage({ type: 'close' } satisfies ToCheckpointer);
    });
    await worker.terminate();
  }
}

/**
 * Start the checkpointer thread. Built, it is checkpointer.js; from TypeScript sources (tests)
 * a small boot module registers tsx in the worker first, without the parent's loaders.
 */
function startCheckpointer(file: string): Worker {
  const workerData = { file, logLimitPages: LOG_LIMIT_PAGES };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./checkpointer.js', import.meta.url), { workerData });
  return new Worker(new URL('./thread_boot.mjs', import.meta.url), {
    execArgv: [],
    workerData: { ...workerData, tsx: import.meta.resolve('tsx/esm/api'), entry: new URL('./checkpointer.ts', import.meta.url).href },
  });
}
