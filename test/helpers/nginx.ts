/** A real nginx (Debian's) on 127.0.0.1, from a config written for the test. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const NGINX = '/usr/sbin/nginx';

export function nginxAvailable(t: { pass(message: string): boolean; fail(message: string): boolean }): boolean {
  if (existsSync(NGINX)) return true;
  if (process.env.CI) t.fail(`${NGINX} is missing: .ci/run installs Debian's nginx-light`);
  else t.pass(`skipped: ${NGINX} is not installed (apt-get install nginx-light)`);
  return false;
}

/**
 * Start nginx with `serverBlock` inside http {}; resolves once it answers on `port`.
 * `workerConnections` counts both sides of a proxied request (the benchmark asks for more).
 */
export async function startNginx(t: { teardown(fn: () => unknown): void }, dir: string, port: number, serverBlock: string, workerConnections = 64): Promise<void> {
  const temp = path.join(dir, 'nginx-temp');
  mkdirSync(temp, { recursive: true });
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
  ${serverBlock}
}
`,
  );
  const child = spawn(NGINX, ['-c', conf, '-p', dir, '-e', `${dir}/nginx-error.log`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  t.teardown(() => child.kill('SIGQUIT'));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    const up = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' }).then(() => true, () => false);
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not start: ${stderr}`);
}
