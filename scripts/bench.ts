/**
 * npm run bench: masks against oidc-provider, the same client on each, measured in
 * alternating rounds in one run so both see the same machine. Prints req/s, p99 and the
 * masks/oidc-provider ratio per endpoint. Then the stores: SQLite vs PostgreSQL on one
 * node, and one node vs two on PostgreSQL behind nginx (skipped when either is missing).
 * BENCH_SECONDS (per round, default 5), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS
 * (default 10), BENCH_WARM_UP (seconds of sign-ins before they are measured, default 15);
 * BENCH_ONLY=sign-in or BENCH_ONLY=stores runs that part alone.
 */
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import YAML from 'yaml';
import { PACKAGE_ROOT } from '../src/paths.js';
import { NGINX, startNginx } from '../test/helpers/nginx.js';
import { admin } from '../test/helpers/postgres.js';
import { freePort } from '../test/helpers/server.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Seconds of password flows before the sign-in figures are measured (see signInBenchmarks). */
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PIPELINING = Number(process.env.BENCH_PIPELINING ?? 1);
const CLIENT = { id: 'bench', secret: 'bench-secret-that-is-at-least-32-characters', scope: 'api:read api:write' };
const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';
const WEB = { id: 'bench-web', secret: 'bench-web-secret-that-is-at-least-32-chars', redirect: 'https://app.example/cb' };
const PERSON = { nickname: 'bench-person', password: 'bench-person-password' };

interface Server {
  name: string;
  url: string;
  /** The processes doing its work (one, or the nodes behind a balancer): their CPU is its CPU. */
  processes: ChildProcess[];
  /** CPU seconds its database server has used so far, when that can be read (a cluster of our own). */
  databaseCpu?: () => number;
  paths: { token: string; introspect: string; discovery: string; jwks: string; authorize: string };
}

function waitFor(child: ChildProcess, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const poll = async () => {
      if (child.exitCode !== null) return reject(new Error(`${url}: the server exited (${child.exitCode})`));
      const ok = await fetch(`${url}/.well-known/openid-configuration`).then((r) => r.ok, () => false);
      if (ok) return resolve();
      if (Date.now() > deadline) return reject(new Error(`${url}: not up after 30 s`));
      setTimeout(poll, 100);
    };
    void poll();
  });
}

/**
 * `masks start` in `dir` on `port`. `env` adds to the environment (MASKS_DB_URL for
 * PostgreSQL); `issuer` is the URL it calls itself by when a balancer stands in front of it.
 */
async function startMasks(dir: string, port: number, options: { name?: string; env?: Record<string, string>; issuer?: string } = {}): Promise<Server> {
  writeFileSync(
    path.join(dir, 'masks.yml'),
    YAML.stringify({
      manager: { password: 'bench-manager-password' },
      seeds: {
        clients: [
          { id: CLIENT.id, client_type: 'confidential', secret: CLIENT.secret, scopes: { allowed: CLIENT.scope.split(' ') } },
          { id: WEB.id, client_type: 'confidential', secret: WEB.secret, redirect_uris: [WEB.redirect], scopes: { allowed: ['openid'] } },
        ],
        actors: [{ nickname: PERSON.nickname, password: PERSON.password }],
      },
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  // BENCH_MASKS_NODE_OPTIONS adds node flags to masks alone, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it.
  const nodeFlags = (process.env.BENCH_MASKS_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeFlags, path.join(PACKAGE_ROOT, 'dist', 'src', 'main.js'), 'start'], {
    cwd: dir,
    env: { ...process.env, MASKS_URL: options.issuer ?? url, MASKS_PORT: String(port), MASKS_HOST: '127.0.0.1', MASKS_LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(child, url);
  return { name: options.name ?? 'masks', url, processes: [child], paths: MASKS_PATHS };
}

const MASKS_PATHS = { token: '/token', introspect: '/introspect', discovery: '/.well-known/openid-configuration', jwks: '/jwks', authorize: '/authorize' };

async function startPeer(port: number): Promise<Server> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'dist', 'scripts', 'oidc_provider_peer.js'), String(port), CLIENT.id, CLIENT.secret, CLIENT.scope, WEB.id, WEB.secret, WEB.redirect], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  await waitFor(child, url);
  return { name: 'oidc-provider', url, processes: [child], paths: { token: '/token', introspect: '/token/introspection', discovery: '/.well-known/openid-configuration', jwks: '/jwks', authorize: '/auth' } };
}

async function accessToken(server: Server): Promise<string> {
  const response = await fetch(server.url + server.paths.token, {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': FORM },
    body: `grant_type=client_credentials&scope=api%3Aread`,
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`${server.name}: no access token: ${JSON.stringify(body)}`);
  return body.access_token;
}

type Scenario = { name: string; request: (server: Server, token: string) => autocannon.Options };

const SCENARIOS: Scenario[] = [
  {
    name: 'client_credentials',
    request: (s) => ({ url: s.url + s.paths.token, method: 'POST', headers: { authorization: BASIC, 'content-type': FORM }, body: 'grant_type=client_credentials&scope=api%3Aread' }),
  },
  {
    name: 'introspection',
    request: (s, token) => ({ url: s.url + s.paths.introspect, method: 'POST', headers: { authorization: BASIC, 'content-type': FORM }, body: `token=${token}` }),
  },
  { name: 'discovery', request: (s) => ({ url: s.url + s.paths.discovery }) },
  { name: 'jwks', request: (s) => ({ url: s.url + s.paths.jwks }) },
];

/** /proc/PID/stat's fields from the state on (field 3 is index 0), so a name with spaces cannot shift them. */
const statFields = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

/** CPU seconds all of a server's processes have used so far. */
const serverCpu = (server: Server) => server.processes.reduce((sum, child) => sum + cpuSeconds(child.pid!), 0);

async function measure(server: Server, options: autocannon.Options) {
  const cpuBefore = serverCpu(server);
  const databaseBefore = server.databaseCpu?.() ?? 0;
  const result = await autocannon({ ...options, connections: CONNECTIONS, pipelining: PIPELINING, duration: SECONDS });
  const cpu = serverCpu(server) - cpuBefore;
  const databaseCpu = server.databaseCpu ? server.databaseCpu() - databaseBefore : NaN;
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  const perRequest = (seconds: number) => (seconds / result.requests.total) * 1e6;
  return { rps: result.requests.average, p99: result.latency.p99, cpuPerRequest: perRequest(cpu), databaseCpuPerRequest: perRequest(databaseCpu) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * One scenario on each server in alternating rounds (the order flips every round, so neither
 * always runs on a machine warmed or tired by the other); the medians per server, in order.
 */
async function alternate(servers: Server[], scenario: Scenario, tokens: Map<Server, string>) {
  const samples = new Map<Server, Array<Awaited<ReturnType<typeof measure>>>>(servers.map((s) => [s, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) samples.get(server)!.push(await measure(server, scenario.request(server, tokens.get(server)!)));
  }
  return servers.map((s) => {
    const runs = samples.get(s)!;
    return { rps: median(runs.map((x) => x.rps)), p99: median(runs.map((x) => x.p99)), cpu: median(runs.map((x) => x.cpuPerRequest)), databaseCpu: median(runs.map((x) => x.databaseCpuPerRequest)) };
  });
}

async function main() {
  const only = process.env.BENCH_ONLY;
  if (only !== 'stores') await againstOidcProvider();
  if (only === undefined || only === 'stores') await storesBenchmark();
}

async function againstOidcProvider() {
  const dir = mkdtempSync(path.join(tmpdir(), 'masks-bench-'));
  const servers: Server[] = [];
  try {
    servers.push(await startMasks(dir, 5301), await startPeer(5302));
    if (process.env.BENCH_ONLY === 'sign-in') return await signInBenchmarks(servers[0]!);
    const tokens = new Map<Server, string>();
    for (const server of servers) tokens.set(server, await accessToken(server));
    console.log(`masks vs oidc-provider: ${ROUNDS} alternating rounds of ${SECONDS} s, ${CONNECTIONS} connections, pipelining ${PIPELINING}, node ${process.version}\n`);
    const rows: string[][] = [
      ['endpoint', 'masks req/s', 'masks p99 ms', 'masks CPU µs/req', 'oidc-provider req/s', 'oidc-provider p99 ms', 'oidc-provider CPU µs/req', 'req/s ratio', 'CPU ratio'],
    ];
    for (const scenario of SCENARIOS) {
      const [masks, peer] = await alternate(servers, scenario, tokens);
      rows.push([
        scenario.name,
        masks!.rps.toFixed(0),
        String(masks!.p99),
        masks!.cpu.toFixed(0),
        peer!.rps.toFixed(0),
        String(peer!.p99),
        peer!.cpu.toFixed(0),
        `${(masks!.rps / peer!.rps).toFixed(2)}x`,
        `${(peer!.cpu / masks!.cpu).toFixed(2)}x`,
      ]);
      console.log(rows.at(-1)!.join('\t'));
    }
    console.log('\nreq/s ratio: masks/oidc-provider throughput. CPU ratio: oidc-provider CPU per request / masks CPU per request (server process, all threads).');
    console.log(`\n${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}`);
    await codeExchangeBenchmark(servers);
    await signInBenchmarks(servers[0]!);
  } finally {
    for (const server of servers) for (const child of server.processes) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run `task` from `concurrency` loops for `seconds`; completed tasks per second and latency percentiles. */
async function loop(concurrency: number, seconds: number, task: (worker: number) => Promise<void>) {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        const start = performance.now();
        await task(worker);
        latencies.push(performance.now() - start);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

/** Work through `items` with CONNECTIONS at once; items per second and latency percentiles. */
async function drain<T>(items: T[], task: (item: T) => Promise<void>) {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let item = items.pop(); item !== undefined; item = items.pop()) {
        const start = performance.now();
        await task(item);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / seconds, p50: latencies[Math.floor(latencies.length / 2)] ?? 0, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

interface Reply {
  status: number;
  location: string | null;
  setCookies: string[];
  text: string;
}

/**
 * One HTTP request over a keep-alive agent. The load generator shares this machine's cores
 * with the server, so it uses node:http rather than fetch, which costs several times more
 * CPU per request and would be counted against the server in the sign-in figures.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function send(url: URL | string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { agent, method: init.method ?? 'GET', headers: { ...init.headers, ...(init.body ? { 'content-length': Buffer.byteLength(init.body) } : {}) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, location: response.headers.location ?? null, setCookies: response.headers['set-cookie'] ?? [], text: Buffer.concat(chunks).toString() }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

/** A cookie-keeping client for masks' pages (one per virtual person). */
class Person {
  private cookies = new Map<string, string>();
  constructor(private readonly base: string) {}
  async request(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
    const response = await send(new URL(path, this.base), { ...init, headers: { ...init.headers, cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const line of response.setCookies) {
      const [pair] = line.split(';');
      const equals = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, equals), pair!.slice(equals + 1));
    }
    return response;
  }
}

const authorizeQuery = `?${new URLSearchParams({ client_id: WEB.id, response_type: 'code', redirect_uri: WEB.redirect, scope: 'openid' })}`;
const authorizePath = `/authorize${authorizeQuery}`;
const WEB_BASIC = `Basic ${Buffer.from(`${WEB.id}:${WEB.secret}`).toString('base64')}`;

/**
 * One keep-alive HTTP/1.1 connection sending raw requests, one at a time, for the sign-in
 * flows. Their load generator shares this machine's two cores with masks, while the argon2id
 * bound they are compared with is measured alone, so it must cost as little CPU as it can:
 * node:http's client spent about 3 ms a flow, this about 1 ms. Every answer masks gives
 * carries a content-length, which is all this reads bodies by.
 */
class RawConnection {
  private readonly socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (reply: { status: number; head: string; body: string }) => void; reject: (error: Error) => void } | undefined;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = net.connect(Number(port), hostname).setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.answer();
    });
    this.socket.on('error', (error) => this.pending?.reject(error));
    this.socket.on('close', () => this.pending?.reject(new Error('the connection closed')));
  }

  private answer() {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (!this.pending || end === -1) return;
    const head = this.buffer.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    const body = this.buffer.toString('utf8', end + 4, end + 4 + length);
    this.buffer = this.buffer.subarray(end + 4 + length);
    const { resolve } = this.pending;
    this.pending = undefined;
    resolve({ status: Number(head.slice(9, 12)), head, body });
  }

  request(method: 'GET' | 'POST', target: string, headers: string, body = '') {
    return new Promise<{ status: number; head: string; body: string }>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(`${method} ${target} HTTP/1.1\r\nhost: bench\r\n${headers}${body ? `content-type: ${FORM}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A header of a raw answer (the first of its name). */
const headerOf = (head: string, name: string): string | undefined => new RegExp(`\r\n${name}: *([^\r]*)`, 'i').exec(head)?.[1];

/** Sign in with the password as a new browser (no cookies yet) and exchange the code: the whole flow a person and a client go through. */
async function passwordFlow(connection: RawConnection): Promise<void> {
  const started = await connection.request('GET', authorizePath, '');
  const cookie = `cookie: ${[...started.head.matchAll(/\r\nset-cookie: *([^;\r]+)/gi)].map((m) => m[1]).join('; ')}\r\n`;
  const page = await connection.request('GET', headerOf(started.head, 'location')!, cookie);
  const action = /action="([^"]+)"/.exec(page.body)![1]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const done = await connection.request('POST', action, cookie, `csrf=${encodeURIComponent(csrf)}&identifier=${encodeURIComponent(PERSON.nickname)}&password=${encodeURIComponent(PERSON.password)}`);
  const code = new URL(headerOf(done.head, 'location') ?? 'x:').searchParams.get('code');
  if (!code) throw new Error(`sign-in failed: ${done.status}`);
  const tokens = await connection.request('POST', '/token', `authorization: ${WEB_BASIC}\r\n`, `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent(WEB.redirect)}`);
  if (tokens.status !== 200) throw new Error(`exchange failed: ${tokens.body}`);
}

/** Full password flows from `concurrency` connections for `seconds`. */
async function passwordFlows(masks: Server, concurrency: number, seconds: number) {
  const connections = Array.from({ length: concurrency }, () => new RawConnection(masks.url));
  try {
    return await loop(concurrency, seconds, (worker) => passwordFlow(connections[worker]!));
  } finally {
    for (const connection of connections) connection.close();
  }
}

/** A browser signed in to `server` (masks: the password form; oidc-provider: its development login and consent). */
async function signedInPerson(server: Server): Promise<Person> {
  const person = new Person(server.url);
  let response = await person.request(server.paths.authorize + authorizeQuery);
  for (let step = 0; step < 10; step++) {
    const location = response.location;
    if (location?.startsWith(WEB.redirect)) return person;
    if (location) {
      response = await person.request(location);
      continue;
    }
    // The page's first form (a sign-in page has a passkey form after it).
    const page = /<form[\s\S]*?<\/form>/.exec(response.text)?.[0] ?? response.text;
    const action = /action="([^"]+)"/.exec(page)![1]!;
    const fields: Record<string, string> = Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    const body = page.includes('name="identifier"') ? { ...fields, identifier: PERSON.nickname, password: PERSON.password } : page.includes('name="login"') ? { ...fields, login: PERSON.nickname, password: 'x' } : fields;
    response = await person.request(action, { method: 'POST', headers: { 'content-type': FORM }, body: new URLSearchParams(body).toString() });
  }
  throw new Error(`${server.name}: could not sign in`);
}

/** New codes by single sign-on (no password): `count` of them. */
async function mintCodes(server: Server, person: Person, count: number): Promise<string[]> {
  const codes: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (codes.length < count) {
        const location = (await person.request(server.paths.authorize + authorizeQuery)).location!;
        codes.push(new URL(location).searchParams.get('code')!);
      }
    }),
  );
  return codes;
}

/**
 * authorization_code exchange alone, both servers, alternating rounds. masks stores an access
 * token, a refresh token and signs an ID token durably; oidc-provider (no offline_access)
 * stores an access token and signs an ID token in memory.
 */
async function codeExchangeBenchmark(servers: Server[]) {
  const people = new Map<Server, Person>();
  for (const server of servers) people.set(server, await signedInPerson(server));
  const samples = new Map<Server, Array<Awaited<ReturnType<typeof loop>>>>(servers.map((s) => [s, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
      // oidc-provider's in-memory store keeps 1000 entries (codes, tokens, its grant), so a round exchanges 300 fresh codes.
      const codes = await mintCodes(server, people.get(server)!, 300);
      samples.get(server)!.push(await drain(codes, (code) => exchange(server.url + server.paths.token, code)));
    }
  }
  const [masks, peer] = servers.map((s) => ({ rate: median(samples.get(s)!.map((x) => x.perSecond)), p99: median(samples.get(s)!.map((x) => x.p99)) }));
  console.log(`\n| authorization_code exchange alone (${CONNECTIONS} at once) | masks ${masks!.rate.toFixed(0)}/s, p99 ${masks!.p99.toFixed(1)} ms | oidc-provider ${peer!.rate.toFixed(0)}/s, p99 ${peer!.p99.toFixed(1)} ms | ratio ${(masks!.rate / peer!.rate).toFixed(2)}x |`);
}

async function exchange(tokenUrl: string, code: string): Promise<void> {
  const response = await send(tokenUrl, { method: 'POST', headers: { authorization: WEB_BASIC, 'content-type': FORM }, body: `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent(WEB.redirect)}` });
  if (response.status !== 200) throw new Error(`exchange failed: ${response.text}`);
}

/**
 * Sign-in figures for masks alone (oidc-provider's sign-in is a development stub with no
 * password to hash, so no equivalent). The argon2id bound and the full flows are measured
 * in alternating rounds, the order flipping every round, and the ratio is each round's
 * flows over its own bound: this machine's argon2id rate moves by a third or more between
 * minutes, so a bound measured once and flows measured later compare two different
 * machines. The share reported is the lower middle of the rounds' (the median, with an odd
 * number of rounds). Both are warmed up first. At the rate a password flow goes (under a
 * hundred a second), V8 optimises masks' per-request functions only after ten seconds or
 * more, each after its thousands of calls: the flows' first second runs at half to two
 * thirds of the later rate, the next few a fifth slower, and the compiler takes CPU
 * meanwhile. That is start-up, not the throughput of a running server, so the flows run
 * WARM_UP seconds before anything is measured.
 */
async function signInBenchmarks(masks: Server) {
  const { verifyPassword, hashPassword } = await import('../src/factors/password.js');
  const stored = await hashPassword(PERSON.password);
  const verifies = (seconds: number) => loop(4, seconds, () => verifyPassword(stored, PERSON.password).then(() => undefined));
  const flowsWithCpu = async (seconds: number) => {
    const cpuBefore = serverCpu(masks);
    const benchCpu = process.cpuUsage();
    const flows = await passwordFlows(masks, 4, seconds);
    const count = flows.perSecond * seconds;
    const used = process.cpuUsage(benchCpu);
    return { ...flows, serverMs: ((serverCpu(masks) - cpuBefore) / count) * 1000, benchMs: (used.user + used.system) / 1000 / count };
  };
  await verifies(2);
  await passwordFlows(masks, 4, WARM_UP);
  const rounds: Array<{ bound: Awaited<ReturnType<typeof verifies>>; flows: Awaited<ReturnType<typeof flowsWithCpu>> }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      const bound = await verifies(SECONDS);
      rounds.push({ bound, flows: await flowsWithCpu(SECONDS) });
    } else {
      const flows = await flowsWithCpu(SECONDS);
      rounds.push({ flows, bound: await verifies(SECONDS) });
    }
  }
  const shares = rounds.map((r) => r.flows.perSecond / r.bound.perSecond);
  const share = [...shares].sort((a, b) => a - b)[Math.floor((shares.length - 1) / 2)]!;
  const middle = rounds[shares.indexOf(share)]!;

  const tokenAlone = await measure(masks, SCENARIOS[0]!.request(masks, ''));
  const [tokenDuring] = await Promise.all([measure(masks, SCENARIOS[0]!.request(masks, '')), passwordFlows(masks, 4, SECONDS)]);

  console.log(`\nSign-in (masks alone; ${ROUNDS} alternating rounds of ${SECONDS} s each, after ${WARM_UP} s of flows; the round with the middle share):`);
  console.log(`| measure | per second | p50 ms | p99 ms |`);
  console.log(`| argon2id verify alone (bench process, 4 at once) | ${middle.bound.perSecond.toFixed(1)} | ${middle.bound.p50.toFixed(1)} | ${middle.bound.p99.toFixed(1)} |`);
  console.log(`| full code flow: authorize, page, password, code, exchange | ${middle.flows.perSecond.toFixed(1)} | ${middle.flows.p50.toFixed(1)} | ${middle.flows.p99.toFixed(1)} |`);
  console.log(`CPU per full flow: masks ${middle.flows.serverMs.toFixed(1)} ms (argon2id included), this load generator ${middle.flows.benchMs.toFixed(1)} ms.`);
  console.log(`Rounds (flows/s over verifies/s): ${rounds.map((r, i) => `${r.flows.perSecond.toFixed(1)}/${r.bound.perSecond.toFixed(1)} = ${(shares[i]! * 100).toFixed(0)}%`).join(', ')}.`);
  console.log(`\nFull flows reach ${(share * 100).toFixed(0)}% of the argon2id bound.`);
  console.log(`client_credentials p99: ${tokenAlone.p99} ms alone, ${tokenDuring.p99} ms while password sign-ins run (${tokenAlone.rps.toFixed(0)} vs ${tokenDuring.rps.toFixed(0)} req/s).`);
}

/** What a section started, undone newest first at its end, also when it fails or is interrupted. */
class Cleanup {
  private steps: Array<() => unknown> = [];
  teardown(step: () => unknown): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step();
  }
}

/** CPU seconds a PostgreSQL cluster has used: its postmaster, the backends alive, and those it has reaped. */
function clusterCpuSeconds(postmaster: number): number {
  const own = statFields(postmaster);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]); // utime, stime, cutime, cstime
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = statFields(Number(entry));
      if (Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]); // a child (ppid)
    } catch {
      // it exited meanwhile: its CPU is in the postmaster's cutime now
    }
  }
  return ticks / 100;
}

/**
 * A PostgreSQL to bench on: MASKS_TEST_PG_URL's when given, else a throwaway cluster of our
 * own on a free port from scripts/test-postgres.sh (stopped by `cleanup`), whose CPU we can
 * read. A string says why there is none.
 */
async function benchPostgres(cleanup: Cleanup): Promise<{ url: string; cpu?: () => number; where: string } | string> {
  const given = process.env.MASKS_TEST_PG_URL;
  if (given) return { url: given, where: 'MASKS_TEST_PG_URL (its CPU not measured)' };
  const port = String(await freePort());
  const script = path.join(PACKAGE_ROOT, 'scripts', 'test-postgres.sh');
  const env = { ...process.env, MASKS_TEST_PG_PORT: port };
  cleanup.teardown(() => spawnSync(script, ['stop'], { env })); // a half-started cluster too
  const started = spawnSync(script, ['start'], { env, encoding: 'utf8' });
  const url = /MASKS_TEST_PG_URL=(\S+)/.exec(started.stdout ?? '')?.[1];
  if (started.status !== 0 || !url) return (started.stderr || String(started.error ?? `exit ${started.status}`)).trim();
  // The script keeps the cluster in /tmp/masks-test-postgres-PORT; postmaster.pid begins with its pid.
  const postmaster = Number(readFileSync(`/tmp/masks-test-postgres-${port}/data/postmaster.pid`, 'utf8').split('\n')[0]);
  return { url, cpu: () => clusterCpuSeconds(postmaster), where: `a cluster of its own on port ${port}, fsync on` };
}

/** `scenarios` on `a` and `b` in alternating rounds, one table row each as measured, with b's figures over a's. */
async function versus(title: string, a: Server, b: Server, scenarios: Scenario[], tokens: Map<Server, string>) {
  const cell = (microseconds: number) => (Number.isNaN(microseconds) ? '–' : microseconds.toFixed(0));
  console.log(`\n${title}\n`);
  const header = ['endpoint', ...[a, b].flatMap((s) => [`${s.name} req/s`, `${s.name} p99 ms`, `${s.name} masks CPU µs/req`, `${s.name} PG CPU µs/req`]), `req/s ${b.name}/${a.name}`, `p99 ${b.name}/${a.name}`];
  console.log(`| ${header.join(' | ')} |`);
  for (const scenario of scenarios) {
    // An untimed second on each first: a node that has served nothing yet (the second of two)
    // would spend its first round compiling and opening its pool's connections.
    for (const server of [a, b]) await autocannon({ ...scenario.request(server, tokens.get(server)!), connections: CONNECTIONS, duration: 1 });
    const [x, y] = await alternate([a, b], scenario, tokens);
    const figures = [x!, y!].flatMap((m) => [m.rps.toFixed(0), String(m.p99), cell(m.cpu), cell(m.databaseCpu)]);
    console.log(`| ${[scenario.name, ...figures, `${(y!.rps / x!.rps).toFixed(2)}x`, `${(y!.p99 / x!.p99).toFixed(2)}x`].join(' | ')} |`);
  }
}

/**
 * The stores (issue 10): SQLite vs PostgreSQL, one node each, straight to the node; then one
 * node vs two on PostgreSQL, each behind the same nginx (upstream round robin, keep-alive to
 * the nodes) so the proxy costs the same on both sides. The PostgreSQL nodes share one
 * schema and the lone node is the first of the two, so every side sees the same tables
 * (which grow with every token issued) and the same warm caches.
 */
async function storesBenchmark() {
  const cleanup = new Cleanup();
  const interrupted = () => void cleanup.run().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  try {
    const database = await benchPostgres(cleanup);
    if (typeof database === 'string') return console.log(`\nSQLite vs PostgreSQL, one node vs two: skipped, no PostgreSQL (${database}).`);
    const dir = mkdtempSync(path.join(tmpdir(), 'masks-bench-stores-'));
    cleanup.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    cleanup.teardown(() => admin(`drop schema if exists ${schema} cascade`, [], database.url).catch(() => undefined));
    const dbUrl = new URL(database.url);
    dbUrl.searchParams.set('schema', schema);
    const [version] = await admin<{ v: string }>(`select current_setting('server_version') as v`, [], database.url);

    const start = async (name: string, options: Parameters<typeof startMasks>[2] = {}) => {
      mkdirSync(path.join(dir, name, 'data'), { recursive: true, mode: 0o700 });
      const server = await startMasks(path.join(dir, name), await freePort(), options);
      for (const child of server.processes) cleanup.teardown(() => child.kill('SIGTERM'));
      return server;
    };
    const balancers = { one: await freePort(), two: await freePort() };
    const issuer = `http://127.0.0.1:${balancers.two}`;
    const sqlite = await start('sqlite', { name: 'SQLite' });
    const onPostgres = { env: { MASKS_DB_URL: dbUrl.toString() }, issuer };
    const first = await start('a', { ...onPostgres, name: 'PostgreSQL' });
    // The second node boots on the first one's key files, as the README asks of every node.
    mkdirSync(path.join(dir, 'b', 'data'), { recursive: true, mode: 0o700 });
    for (const file of ['private.key', 'secret.key']) copyFileSync(path.join(dir, 'a', 'data', file), path.join(dir, 'b', 'data', file));
    const second = await start('b', onPostgres);
    first.databaseCpu = database.cpu;

    console.log(`\nStores: ${ROUNDS} alternating rounds of ${SECONDS} s, ${CONNECTIONS} connections; PostgreSQL ${version!.v}, ${database.where}.`);
    console.log(`This machine has ${availableParallelism()} CPU cores (load average ${loadavg()[0]!.toFixed(1)} before this part): autocannon, the masks nodes, nginx and PostgreSQL all share them.`);
    console.log(`masks CPU: all its nodes on that side; PG CPU: the PostgreSQL cluster's processes (SQLite works inside masks, so its share is in the masks column).`);
    const storeScenarios = SCENARIOS.filter((s) => s.name === 'client_credentials' || s.name === 'introspection');
    const tokens = new Map<Server, string>();
    for (const server of [sqlite, first]) tokens.set(server, await accessToken(server));
    await versus('SQLite vs PostgreSQL, one node each, no proxy:', sqlite, first, storeScenarios, tokens);

    if (!existsSync(NGINX)) return console.log(`\nOne node vs two on PostgreSQL: skipped, ${NGINX} is not installed (apt-get install nginx-light).`);
    const nginxDir = path.join(dir, 'nginx');
    mkdirSync(nginxDir);
    const upstream = (name: string, nodes: Server[]) => `upstream ${name} { ${nodes.map((n) => `server ${new URL(n.url).host};`).join(' ')} keepalive ${CONNECTIONS}; }`;
    const proxy = (port: number, name: string) =>
      `server { listen 127.0.0.1:${port}; location / { proxy_pass http://${name}; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $http_host; } }`;
    const config = [upstream('one', [first]), upstream('two', [first, second]), proxy(balancers.one, 'one'), proxy(balancers.two, 'two')].join('\n  ');
    await startNginx(cleanup, nginxDir, balancers.two, config, 8 * CONNECTIONS + 64);
    const one: Server = { ...first, name: 'one node', url: `http://127.0.0.1:${balancers.one}` };
    const two: Server = { ...first, name: 'two nodes', url: issuer, processes: [...first.processes, ...second.processes] };
    for (const server of [one, two]) tokens.set(server, await accessToken(server));
    // With few cores a second node buys no CPU, only contention: say so next to the ratio.
    const cores = availableParallelism();
    const caveat = cores <= 4 ? ` (on ${cores} cores the two nodes compete with PostgreSQL, nginx and autocannon: expect far from 2x)` : '';
    await versus(`One node vs two on PostgreSQL, each behind nginx${caveat}:`, one, two, storeScenarios, tokens);
  } finally {
    await cleanup.run();
    process.off('SIGINT', interrupted);
  }
}

await main();
