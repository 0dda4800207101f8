#!/usr/bin/env node
/** The masks command line: start, migrate, config, keys, clients, actors, backup, export, import. */
import { chmodSync, constants, copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import YAML from 'yaml';
import { createActor } from './accounts/service.js';
import { addClient, pickOverrides } from './clients/service.js';
import { loadConfig, redact, withoutPassword } from './config/load.js';
import type { Config } from './config/schema.js';
import { openMasks, secretFileFor, systemClock, type Masks } from './context.js';
import { ConfigError, InputError } from './errors.js';
import { exportTo, importFrom } from './export/service.js';
import { Keyed, loadInstallationSecret } from './security/secrets.js';
import { handleSignals, startServer } from './server.js';
import { openStore } from './storage/index.js';

interface Command {
  usage: string;
  summary: string;
  options?: ParseArgsConfig['options'];
  run(config: Config, values: Record<string, unknown>, positionals: string[]): Promise<void>;
}

const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/** Open the installation for a one-off command (migrations per config), run, close. */
async function withMasks(config: Config, task: (masks: Masks) => Promise<void> | void) {
  const masks = await openMasks(config);
  try {
    await task(masks);
  } finally {
    await masks.close();
  }
}

/** What the client and actor commands use: the store, nothing of a boot (no keys, no bootstrap). */
type Stores = Pick<Masks, 'config' | 'store' | 'keyed' | 'clock'>;

/** Open the database only (migrations per config), run, close; the installation secret is read when a secret is hashed. */
async function withStores(config: Config, task: (stores: Stores) => Promise<void> | void) {
  const store = await openStore(config, { clock: systemClock });
  let keyed: Keyed | undefined;
  const stores: Stores = {
    config,
    store,
    clock: systemClock,
    get keyed() {
      return (keyed ??= new Keyed(loadInstallationSecret(secretFileFor(config))));
    },
  };
  try {
    await task(stores);
  } finally {
    await store.close();
  }
}

const longestLifetime = async (masks: Masks) =>
  Math.max(...[masks.config.clients, ...(await masks.store.clients.list()).map((c) => c.settings)].flatMap((s) => [s.id_token_expires_in, s.access_token_expires_in]));

const describeClient = async (stores: Stores, id: string) => {
  const client = await stores.store.clients.find(id);
  if (!client) throw new InputError(`no client "${id}"`);
  return {
    id: client.id,
    name: client.name,
    client_type: client.type,
    has_secret: client.secretHash !== null,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    seeded: client.seeded,
    overrides: client.overrides,
  };
};

const COMMANDS: Record<string, Command> = {
  start: {
    usage: 'masks start',
    summary: 'migrate, bootstrap and serve masks on MASKS_HOST:MASKS_PORT',
    async run(config) {
      handleSignals(await startServer(config));
    },
  },
  migrate: {
    usage: 'masks migrate',
    summary: 'apply pending database migrations and exit',
    async run(config) {
      await (await openStore(config, { migrate: true, clock: systemClock })).close();
      print(`masks: ${withoutPassword(config.db_url)} is up to date`);
    },
  },
  config: {
    usage: 'masks config [--json]',
    summary: 'print the resolved configuration, secrets redacted',
    options: { json: { type: 'boolean' } },
    async run(config, values) {
      const safe = redact(config);
      print(values.json ? JSON.stringify(safe, null, 2) : YAML.stringify(safe).trimEnd());
    },
  },
  'keys rotate': {
    usage: 'masks keys rotate',
    summary: 'make new active signing keys; older keys stay in the JWKS until their tokens expire (then SIGHUP or restart the server)',
    async run(config) {
      await withMasks(config, async (masks) => {
        const keys = await masks.keys.rotate(await longestLifetime(masks));
        for (const key of keys) print(`${key.alg} ${key.kid}`);
      });
    },
  },
  'clients add': {
    usage: 'masks clients add --id ID [--name NAME] [--type internal|confidential|public] [--redirect-uri URI]... [--scope SCOPE]... [--secret SECRET]',
    summary: 'add a client; a confidential client without --secret gets a random one, shown once',
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      type: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      secret: { type: 'string' },
    },
    async run(config, values) {
      const id = values.id as string | undefined;
      if (!id) throw new InputError('--id is required');
      const scopes = values.scope as string[] | undefined;
      await withStores(config, async (stores) => {
        const { client, secret } = await addClient(stores, {
          id,
          name: values.name as string | undefined,
          secret: values.secret as string | undefined,
          redirect_uris: values['redirect-uri'] as string[] | undefined,
          overrides: pickOverrides({ client_type: values.type, scopes: scopes ? { allowed: scopes } : undefined }),
        });
        print(`masks: added ${client.type} client "${client.id}"`);
        if (secret) print(`client_secret (shown once): ${secret}`);
      });
    },
  },
  'clients list': {
    usage: 'masks clients list',
    summary: 'list clients',
    async run(config) {
      await withStores(config, async (stores) => {
        for (const client of await stores.store.clients.list()) print(`${client.id}\t${client.type}\t${client.name}${client.seeded ? '\t(seeded)' : ''}`);
      });
    },
  },
  'clients show': {
    usage: 'masks clients show ID',
    summary: 'show one client (never its secret)',
    async run(config, _values, positionals) {
      if (!positionals[0]) throw new InputError('which client? masks clients show ID');
      await withStores(config, async (stores) => print(YAML.stringify(await describeClient(stores, positionals[0]!)).trimEnd()));
    },
  },
  backup: {
    usage: 'masks backup --to FOLDER',
    summary: 'a consistent copy of the database (taken while masks runs) and the key files, in a new folder',
    options: { to: { type: 'string' } },
    async run(config, values) {
      const to = values.to as string | undefined;
      if (!to) throw new InputError('where to? masks backup --to FOLDER');
      const folder = path.resolve(to);
      if (existsSync(folder) && readdirSync(folder).length > 0) throw new InputError(`${folder} is not empty; back up into a new folder`);
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      await withStores(config, async ({ store }) => store.backup(path.join(folder, 'masks.sqlite3')));
      // The keys that sign tokens and key every stored hash: without them the copy is of no use.
      for (const file of [config.private_key, secretFileFor(config)].filter((f) => existsSync(f))) {
        const copy = path.join(folder, path.basename(file));
        copyFileSync(file, copy, constants.COPYFILE_EXCL);
        chmodSync(copy, 0o600);
      }
      print(`masks: backed up the database and keys to ${folder}; keep it as safe as the keys themselves`);
    },
  },
  export: {
    usage: 'masks export --to FILE',
    summary: 'clients and actors (password hashes, second factors, consents) to a new JSON file, mode 0600, for masks import',
    options: { to: { type: 'string' } },
    async run(config, values) {
      const to = values.to as string | undefined;
      if (!to) throw new InputError('where to? masks export --to FILE');
      const file = path.resolve(to);
      await withStores(config, async (stores) => {
        const { clients, actors } = await exportTo(stores, file);
        print(`masks: exported ${clients} clients and ${actors} actors to ${file}; it holds password hashes: keep it as safe as the keys, and delete it once imported`);
      });
    },
  },
  import: {
    usage: 'masks import --from FILE',
    summary: 'add the clients and actors of a masks export, all or nothing (same secret.key and key files; nothing of theirs may be here yet)',
    options: { from: { type: 'string' } },
    async run(config, values) {
      const from = values.from as string | undefined;
      if (!from) throw new InputError('from where? masks import --from FILE');
      const file = path.resolve(from);
      await withStores(config, async (stores) => {
        const { clients, actors } = await importFrom(stores, file);
        print(`masks: imported ${clients} clients and ${actors} actors from ${file}`);
      });
    },
  },
  'actors add': {
    usage: 'masks actors add [--nickname NAME] [--email ADDRESS] [--password PASSWORD] [--scope SCOPE]...',
    summary: 'add an actor',
    options: { nickname: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, scope: { type: 'string', multiple: true } },
    async run(config, values) {
      const nickname = values.nickname as string | undefined;
      const email = values.email as string | undefined;
      if (!nickname && !email) throw new InputError('give --nickname or --email');
      await withStores(config, async (stores) => {
        const actor = await createActor(stores, { nickname, email, password: values.password as string | undefined, scopes: values.scope as string[] | undefined });
        print(`masks: added actor ${actor.nickname ?? actor.emails[0]?.address} (${actor.id})`);
      });
    },
  },
  'actors list': {
    usage: 'masks actors list',
    summary: 'list actors',
    async run(config) {
      await withStores(config, async (stores) => {
        for (const actor of await stores.store.actors.list()) {
          print(`${actor.id}\t${actor.nickname ?? '-'}\t${actor.emails.map((e) => e.address).join(',') || '-'}\t${actor.scopes.join(' ')}`);
        }
      });
    },
  },
};

function help(): string {
  const lines = Object.values(COMMANDS).map((command) => `  ${command.usage}\n      ${command.summary}`);
  return `masks: a self-hosted OAuth 2.0 / OpenID Connect provider\n\nUsage:\n${lines.join('\n')}\n\nConfiguration: masks.yml (MASKS_YML) and MASKS_* environment variables; see masks.example.yml.`;
}

export async function main(argv: string[]): Promise<number> {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  const name = [`${words[0]} ${words[1]}`, words[0]].find((candidate) => candidate && COMMANDS[candidate]);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (!name) {
    if (argv.length === 0 || wantsHelp || words[0] === 'help') {
      print(help());
      return 0;
    }
    process.stderr.write(`masks: unknown command "${words.join(' ')}"\n\n${help()}\n`);
    return 2;
  }
  const command = COMMANDS[name]!;
  if (wantsHelp) {
    print(`Usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options: command.options ?? {}, allowPositionals: true, strict: true });
    const config = loadConfig();
    await command.run(config, values as Record<string, unknown>, positionals.slice(name.split(' ').length));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof InputError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`masks: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
