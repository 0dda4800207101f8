/** Running the masks CLI from its TypeScript sources in a child process. */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { schemaUrlFor } from './postgres.js';
import { freePort } from './server.js';

const MAIN = path.join(PACKAGE_ROOT, 'src', 'main.ts');
/** tsx, resolved from this package whatever the cwd. */
const TSX = import.meta.resolve('tsx');
/** What every masks started here gets: on PostgreSQL (MASKS_TEST_DB=postgres), one schema per installation folder. */
const baseEnv = (dir: string) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MASKS_LOG_LEVEL: 'silent', ...schemaUrlFor(dir) });

/** Run one CLI command to completion. */
export function runMasks(dir: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: dir, env: { ...baseEnv(dir), ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface Started {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout: () => string;
}

/** `masks start` in `dir` on a free port; waits for /up; killed when the test ends. */
export async function startMasksProcess(t: { teardown(fn: () => unknown): void }, dir: string, env: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', TSX, MAIN, 'start'], {
    cwd: dir,
    env: { ...baseEnv(dir), MASKS_PORT: String(port), MASKS_HOST: '127.0.0.1', ...env },
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  t.teardown(() => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`masks exited with ${child.exitCode}`);
    const up = await fetch(`${url}/up`).then((r) => r.ok, () => false);
    if (up) return { child, url, stdout: () => out };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('masks did not come up');
}

/** Resolves with the exit code (or signal) once the child has exited. */
export const exited = (child: ChildProcessWithoutNullStreams) =>
  new Promise<number | string | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code, signal) => resolve(code ?? signal))));
