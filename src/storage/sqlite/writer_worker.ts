/**
 * The writer thread: its own connection, committing every batch that arrived while the
 * previous commit was being fsynced in one transaction (group commit), off the event loop
 * that serves requests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { commitBatch, configureConnection, isUnsynced, SYNC_WITHIN_MS, syncNow, type WriteOutcome, type WriteRequest } from './writes.js';

export type ToWriter = { type: 'batch'; seq: number; writes: WriteRequest[] } | { type: 'close' };
export type FromWriter = { type: 'done'; seq: number; outcomes: WriteOutcome[] } | { type: 'failed'; seq: number; message: string } | { type: 'closed' };

const db = new Sqlite((workerData as { file: string }).file);
configureConnection(db);
const port = parentPort!;
let pending: Array<{ seq: number; writes: WriteRequest[] }> = [];
let scheduled = false;
/** Syncs commits that went without fsync (audit events, new attempts) when no durable write came to do it. */
let syncing: NodeJS.Timeout | undefined;

function flush() {
  scheduled = false;
  const batches = pending;
  pending = [];
  const all = batches.flatMap((b) => b.writes);
  let outcomes: WriteOutcome[];
  try {
    outcomes = commitBatch(db, all);
  } catch (error) {
    for (const { seq } of batches) port.postMessage({ type: 'failed', seq, message: (error as Error).message } satisfies FromWriter);
    return;
  }
  if (!isUnsynced(db)) {
    clearTimeout(syncing);
    syncing = undefined;
  } else if (!syncing) {
    syncing = setTimeout(() => {
      syncing = undefined;
      try {
        syncNow(db);
      } catch {
        // Still unsynced: the next batch's flush schedules another try.
      }
    }, SYNC_WITHIN_MS);
  }
  let offset = 0;
  for (const { seq, writes } of batches) {
    port.postMessage({ type: 'done', seq, outcomes: outcomes.slice(offset, offset + writes.length) } satisfies FromWriter);
    offset += writes.length;
  }
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    if (pending.length > 0) flush();
    clearTimeout(syncing);
    db.close();
    port.postMessage({ type: 'closed' } satisfies FromWriter);
    port.close();
    return;
  }
  pending.push(message);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
