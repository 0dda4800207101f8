/**
 * Prometheus metrics (prom-client), on a listener of their own (`metrics.*`, off by default):
 * requests by route and status with their latency, sign-ins and failures by reason and tokens
 * by grant (from the audit events), the password-hashing queue, and the store's commits
 * and their latency. Each masks has its own registry. Nothing secret is ever a label.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from './config/schema.js';
import { passwordQueue } from './factors/password.js';
import type { Store } from './storage/store.js';

/** What the rest of masks tells the metrics (a no-op when they are off). */
export interface Observer {
  request(route: string, method: string, status: number, seconds: number): void;
  event(type: string, detail: Record<string, unknown>): void;
}

export const NO_METRICS: Observer = { request: () => {}, event: () => {} };

/** A label value from a closed set, or "other": a label never carries what someone typed. */
const closed = (value: unknown, allowed: RegExp) => (typeof value === 'string' && value.length <= 64 && allowed.test(value) ? value : 'other');

export class Metrics implements Observer {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'masks_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [this.registry] });
  private readonly latency = new Histogram({
    name: 'masks_http_request_duration_seconds',
    help: 'HTTP request latency by route and method',
    labelNames: ['route', 'method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly events = new Counter({ name: 'masks_events_total', help: 'Audit events by type, with the reason of failures and the grant of tokens', labelNames: ['type', 'reason', 'grant_type'], registers: [this.registry] });

  constructor(store: Pick<Store, 'stats'>) {
    const registers = [this.registry];
    new Gauge({
      name: 'masks_password_hashing',
      help: 'argon2id work: running now, and waiting for a slot',
      labelNames: ['state'],
      registers,
      collect() {
        const queue = passwordQueue();
        this.set({ state: 'running' }, queue.active);
        this.set({ state: 'waiting' }, queue.waiting);
      },
    });
    new Gauge({
      name: 'masks_store_commits',
      help: 'Durable group commits: batches committed, and the writes in them (writes / batches is the mean batch size)',
      labelNames: ['what'],
      registers,
      collect() {
        const stats = store.stats();
        this.set({ what: 'batches' }, stats.batches);
        this.set({ what: 'writes' }, stats.writes);
      },
    });
    new Gauge({
      name: 'masks_store_commit_seconds_total',
      help: 'Seconds spent committing to the store, from a write sent to it durable (divided by masks_store_commits{what="batches"}: the mean commit latency)',
      registers,
      collect() {
        this.set(store.stats().seconds);
      },
    });
  }

  request(route: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.latency.observe({ route, method }, seconds);
  }

  event(type: string, detail: Record<string, unknown>): void {
    this.events.inc({ type, reason: closed(detail.reason, /^[a-z][a-z -]*$/), grant_type: closed(detail.grant_type, /^[a-z_]+$/) });
  }
}

/** The metrics listener (GET /metrics), when metrics.enabled. */
export async function listenForMetrics(config: Config, metrics: Metrics): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') return void response.writeHead(404).end();
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.metrics.port, config.metrics.host, () => resolve());
  });
  return server;
}
