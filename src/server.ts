/** Running masks: open, bootstrap, listen; SIGTERM drains and closes; SIGHUP reloads keys. */
import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { bootstrap, type Announce } from './bootstrap.js';
import type { Config } from './config/schema.js';
import { openMasks, sweep, type Masks } from './context.js';
import { listenForMetrics, Metrics } from './metrics.js';

export interface Running {
  app: FastifyInstance;
  masks: Masks;
  url: string;
  stop(): Promise<void>;
}

const SWEEP_EVERY_MS = 10 * 60 * 1000;

export async function startServer(config: Config, options: { announce?: Announce; logger?: boolean } = {}): Promise<Running> {
  const masks = await openMasks(config);
  try {
    await bootstrap(masks, options.announce);
  } catch (error) {
    await masks.close();
    throw error;
  }
  const app = buildApp(masks, options.logger === undefined ? {} : { logger: options.logger });
  const sweeping = setInterval(() => {
    sweep(masks).catch((error: unknown) => app.log.error({ err: error }, 'deleting expired rows failed'));
  }, SWEEP_EVERY_MS);
  sweeping.unref();
  let metrics: Server | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(sweeping);
      await new Promise<void>((resolve) => (metrics ? metrics.close(() => resolve()) : resolve()));
      await app.close(); // stops accepting, drains in-flight requests
      await masks.close();
    })());
  app.addHook('onClose', async () => clearInterval(sweeping));
  const address = await app.listen({ port: config.port, host: config.host });
  if (masks.observe instanceof Metrics) metrics = await listenForMetrics(config, masks.observe);
  return { app, masks, url: address, stop };
}

/** Wire process signals to a running server (for `masks start`). */
export function handleSignals(running: Running): void {
  const shutdown = (signal: string) => {
    running.app.log.info(`${signal}: draining and closing`);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    running.masks.keys.load().then(
      () => running.app.log.info('SIGHUP: signing keys reloaded'),
      (error: unknown) => running.app.log.error({ err: error }, 'SIGHUP: reloading signing keys failed'),
    );
  });
}
