// Starts a worker thread from TypeScript sources (tests, tsx): registers tsx in this
// worker only, without the parent's loaders, then loads the worker module.
import { workerData } from 'node:worker_threads';

const { register } = await import(workerData.tsx);
register();
await import(workerData.entry);
