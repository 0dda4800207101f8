/**
 * The checkpointer thread: its own connection copies the log into the database file (a
 * passive checkpoint, which syncs the log and then the file), off the event loop, so the
 * thread that serves requests never waits for those fsyncs. It never writes a row.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import { configureConnection } from './writes.js';

export type ToCheckpointer = { type: 'checkpoint' } | { type: 'close' };
export type FromCheckpointer = { type: 'closed' };

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

function checkpoint() {
  let before = -1;
  for (let pass = 0; pass < PASSES; pass++) {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    if (!result || (result.checkpointed >= result.log && result.log === before)) return;
    before = result.log;
  }
  // Writes outran the passes: a long log is copied with writers held off (they retry meanwhile).
  if (before >= logLimitPages) db.pragma('wal_checkpoint(RESTART)');
}

port.on('message', (message: ToCheckpointer) => {
  if (message.type === 'close') {
    db.close();
    port.postMessage({ type: 'closed' } satisfies FromCheckpointer);
    port.close();
    return;
  }
  try {
    checkpoint();
  } catch {
    // Not now (a busy database, say): the next commit asks again.
  }
});
