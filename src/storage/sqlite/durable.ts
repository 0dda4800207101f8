/**
 * Durable writes: group commit on a writer thread (writer_worker.ts), so the event loop
 * that serves requests never waits for fsync.
 */
import { Worker } from 'node:worker_threads';
import type Sqlite from 'better-sqlite3';
import type { FromWriter, ToWriter } from './writer_worker.js';
import { commitBatch, type WriteArgs, type WriteName, type WriteOutcome, type WriteRequest, type WriteResult } from './writes.js';

interface Waiter {
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}
type Queued = Waiter & { request: WriteRequest };

/** How long closing waits for the writer thread to say it closed before stopping it. */
const CLOSE_WAIT_MS = 10_000;

/** How long a write that asked to ride along (an audit event) waits for another write to commit with. */
const RIDE_ALONG_MS = 20;

/**
 * Durable writes with group commit. The writes requested in one turn of the event loop go
 * to the writer thread as one batch; it commits every batch that arrived while it was
 * busy in one transaction, so one fsync covers many requests and the event loop never
 * waits for the disk. Each promise settles once its write is committed: on disk, except for
 * writes that promise nobody anything (audit events, a new attempt; see waitsForDisk), which
 * are on disk with the next write that waits for it, or within SYNC_WITHIN_MS.
 */
export class DurableWriter {
  private queue: Queued[] = [];
  private scheduled = false;
  /** The timer that sends writes riding along when no other write came. */
  private waiting: NodeJS.Timeout | undefined;
  private seq = 0;
  private readonly inFlight = new Map<number, Queued[]>();
  private thread: Worker | undefined;
  private closed: Promise<void> | undefined;
  private readonly watchers: Array<(op: WriteName) => void> = [];
  /** Batches sent and writes done (for benchmarks and tests). */
  readonly stats = { batches: 0, writes: 0, seconds: 0 };
  /** When each batch in flight was sent (its commit latency, for the metrics). */
  private readonly sentAt = new Map<number, number>();

  /** `file` ':memory:' commits on this thread (a worker cannot share an in-memory database). */
  constructor(
    private readonly file: string,
    private readonly inline: Sqlite.Database,
  ) {}

  /** The writer thread, started at the first write. */
  private get worker(): Worker | undefined {
    if (this.file === ':memory:') return undefined;
    if (!this.thread) {
      const worker = startWriter(this.file);
      worker.on('message', (message: FromWriter) => this.settle(message));
      worker.on('error', (error) => this.failAll(error));
      // A writer that died is replaced at the next write; what it had in flight was rejected.
      worker.on('exit', () => {
        if (this.thread === worker) this.thread = undefined;
        this.failAll(new Error('the writer thread stopped'));
      });
      worker.unref();
      this.thread = worker;
    }
    return this.thread;
  }

  /**
   * Call `watcher` with the name of every write when it is queued and again once it is on
   * disk (or failed): a read cache drops what the write may change, so a revocation or an
   * ended session is seen at once, whoever asked for it.
   */
  watch(watcher: (op: WriteName) => void): void {
    this.watchers.push(watcher);
  }

  private notify(op: WriteName) {
    for (const watcher of this.watchers) watcher(op);
  }

  /**
   * Queue a write; it is sent with the others of this turn of the event loop. `rideAlong`: a
   * write nobody waits for (an audit event) goes with the next batch instead, or on its own
   * after RIDE_ALONG_MS, so it costs no commit of its own while requests keep the writer busy.
   */
  run<K extends WriteName>(op: K, args: WriteArgs<K>, options: { rideAlong?: boolean } = {}): Promise<WriteResult<K>> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    this.notify(op);
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { op, args }, resolve, reject });
      if (this.scheduled) return;
      if (!options.rideAlong) {
        this.scheduled = true;
        setImmediate(() => this.send());
      } else if (!this.waiting) {
        this.waiting = setTimeout(() => this.send(), RIDE_ALONG_MS);
      }
    });
  }

  private send() {
    this.scheduled = false;
    clearTimeout(this.waiting);
    this.waiting = undefined;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const seq = ++this.seq;
    this.stats.batches++;
    this.stats.writes += batch.length;
    const writes = batch.map((item) => item.request);
    if (!this.worker) {
      let outcomes: WriteOutcome[];
      const started = performance.now();
      try {
        outcomes = commitBatch(this.inline, writes);
      } catch (error) {
        this.settleBatch(batch, { error });
        return;
      } finally {
        this.stats.seconds += (performance.now() - started) / 1000;
      }
      this.settleBatch(batch, { outcomes });
      return;
    }
    this.inFlight.set(seq, batch);
    this.sentAt.set(seq, performance.now());
    this.worker.ref();
    this.worker.postMessage({ type: 'batch', seq, writes } satisfies ToWriter);
  }

  private settle(message: FromWriter) {
    if (message.type === 'closed') return;
    const batch = this.inFlight.get(message.seq);
    this.inFlight.delete(message.seq);
    const sent = this.sentAt.get(message.seq);
    this.sentAt.delete(message.seq);
    if (sent !== undefined) this.stats.seconds += (performance.now() - sent) / 1000;
    // Idle, the writer does not keep the process alive; while closing it must, until it says it closed.
    if (this.inFlight.size === 0 && !this.closed) this.thread?.unref();
    if (!batch) return;
    if (message.type === 'failed') this.settleBatch(batch, { error: new Error(message.message) });
    else this.settleBatch(batch, { outcomes: message.outcomes });
  }

  /** Settle every write of a batch with its outcome, or all with one error. */
  private settleBatch(batch: Queued[], result: { outcomes: WriteOutcome[] } | { error: unknown }) {
    for (const item of batch) this.notify(item.request.op);
    batch.forEach((item, i) => ('outcomes' in result ? settleOne(item, result.outcomes[i]!) : item.reject(result.error)));
  }

  private failAll(error: unknown) {
    for (const batch of this.inFlight.values()) this.settleBatch(batch, { error });
    this.inFlight.clear();
  }

  /** Send what is queued, wait for every write to be on disk, stop the writer. */
  close(): Promise<void> {
    return (this.closed ??= (async () => {
      this.send();
      const worker = this.thread;
      if (!worker) return;
      worker.ref();
      // The writer says it closed (or exits); one that does not answer within CLOSE_WAIT_MS is
      // stopped all the same, so a shutdown never hangs (what it still had in flight is rejected).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_WAIT_MS);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        worker.on('message', (message: FromWriter) => message.type === 'closed' && done());
        worker.once('exit', done);
        worker.postMessage({ type: 'close' } satisfies ToWriter);
      });
      await worker.terminate();
    })());
  }
}

function settleOne(item: Waiter, outcome: WriteOutcome) {
  if (outcome.ok) item.resolve(outcome.value);
  else item.reject(Object.assign(new Error(outcome.message), outcome.code ? { code: outcome.code } : {}));
}

/**
 * Start the writer thread. Built, it is writer_worker.js; from TypeScript sources (tests)
 * a small boot module registers tsx in the worker first, without the parent's loaders.
 */
function startWriter(file: string): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./writer_worker.js', import.meta.url), { workerData: { file } });
  return new Worker(new URL('./writer_boot.mjs', import.meta.url), {
    execArgv: [],
    workerData: { file, tsx: import.meta.resolve('tsx/esm/api'), entry: new URL('./writer_worker.ts', import.meta.url).href },
  });
}
