/**
 * The writer thread: its own connection, committing every batch that arrived while the
 * previous commit was being fsynced in one transaction (group commit), off the event loop
 * that serves requests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { commitBatch, configureConnection, type WriteOutcome, type WriteRequest } from './writes.js';

export type ToWriter = { type: 'batch'; seq: number; writes: WriteRequest[] } | { type: 'close' };
export type FromWriter = { type: 'done'; seq: number; outcomes: WriteOutcome[] } | { type: 'failed'; seq: number; message: string } | { type: 'closed' };

const db = new Sqlite((workerData as { file: string }).file);
configureConnection(db);
const port = parentPort!;
let pending: Array<{ seq: number; writes: WriteRequest[] }> = [];
let scheduled = false;

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
  let offset = 0;
  for (const { seq, writes } of batches) {
    port.postMessage({ type: 'done', seq, outcomes: outcomes.slice(offset, offset + writes.length) } satisfies FromWriter);
    offset += writes.length;
  }
}

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    if (pending.length > 0) flush();
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
