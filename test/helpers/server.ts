/** A masks listening on 127.0.0.1 (for relying-party libraries and benchmarks). */
import { createServer } from 'node:net';
import YAML from 'yaml';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { startServer, type Running } from '../../src/server.js';

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Start masks on 127.0.0.1 with `issuer` = its own URL; stop it when the test ends.
 * `hostname` names it in that URL: WebAuthn needs a domain (localhost), not an IP address.
 */
export async function listen(t: { teardown(fn: () => unknown): void }, dir: string, yaml: Record<string, unknown>, hostname = '127.0.0.1'): Promise<Running> {
  const port = await freePort();
  const ymlPath = path.join(dir, 'masks.yml');
  writeFileSync(ymlPath, YAML.stringify(yaml));
  const config = loadConfig({
    cwd: dir,
    env: { MASKS_YML: ymlPath, MASKS_URL: `http://${hostname}:${port}`, MASKS_PORT: String(port), MASKS_HOST: '127.0.0.1', MASKS_LOG_LEVEL: 'silent' },
  });
  const running = await startServer(config, { announce: () => {}, logger: false });
  t.teardown(() => running.stop());
  return running;
}
