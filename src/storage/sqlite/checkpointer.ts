/**
 * The checkpointer thread: its own connection copies the log into the database file (a
 * passive checkpoint, which syncs the log and then the file), off the event loop, so the
 * thread that serves requests never waits for those fsyncs. It also runs the sweep of
 * expired rows, in short transactions, for the same reason.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import type { Sweep } from '../store.js';
import { configureConnection, sweepInChunks } from './writes.js';

export type ToCheckpointer = { type: 'checkpoint' } | { type: 'sweep'; id: number; args: Sweep } | { type: 'close' };
export type FromCheckpointer = { type: 'swept'; id: number; tokens: number } | { type: 'failed'; id: number; message: string } | { type: 'closed' };

const { file, logLimitPages } = workerData as { file: string; logLimitPages: number };
const db = new Sqlite(file);
configureConnection(db);
const port = parentPort!;

/**
 * How many passive passes one checkpoint may take. Commits go on while a pass copies, so the
 * log a pass reports all copied may have grown meanwhile; passes go on until one finds
 * nothing new. Only a log copied whole is started over by the next commit.
 */
const PASSES = 8;

/** How long a restart checkpoint waits for the write lock, and for readers to leave the old log. */
const RESTART_WAIT_MS = 50;

function checkpoint() {
  let before = -1;
  for (let pass = 0; pass < PASSES; pass++) {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    if (!result || (result.checkpointed >= result.log && result.log === before)) return;
    before = result.log;
  }
  // Writes outran the passes: a long log is copied with writers held off (they retry
  // meanwhile). Waiting RESTART_WAIT_MS at most for the write lock and for readers: a reader
  // still on the old log (an export, a shell) makes it give up rather than hold writers off
  // until the reader is done.
  if (before >= logLimitPages) {
    db.pragma(`busy_timeout = ${RESTART_WAIT_MS}`);
    try {
      db.pragma('wal_checkpoint(RESTART)');
    } finally {
      db.pragma('busy_timeout = 5000');
    }
  }
}

port.on('message', (message: ToCheckpointer) => {
  if (message.type === 'close') {
    db.close();
    port.postMessage({ type: 'closed' } satisfies FromCheckpointer);
    port.close();
    return;
  }
  if (message.type === 'sweep') {
    try {
      port.postMessage({ type: 'swept', id: message.id, tokens: sweepInChunks(db, message.args) } satisfies FromCheckpointer);
    } catch (error) {
      port.postMessage({ type: 'failed', id: message.id, message: (error as Error).message } satisfies FromCheckpointer);
    }
    return;
  }
  try {
    checkpoint();
  } catch {
    // Not now (a busy database, say): the next commit asks again.
  }
});
