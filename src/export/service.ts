/**
 * Moving clients and actors to another installation (from SQLite to PostgreSQL, say):
 * `masks export` writes them to a new file, `masks import` adds them, all or nothing, to an
 * installation that has none of them. Client secret hashes, pairwise subjects and sealed
 * second factors are all keyed with the installation secret, so an import under another
 * secret.key is refused rather than leaving everyone unable to sign in.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isBuiltInClient } from '../clients/service.js';
import { secretFileFor, type Masks } from '../context.js';
import { InputError } from '../errors.js';
import type { Keyed } from '../security/secrets.js';
import { describeClaim, formatExport, parseExport } from './format.js';

/** What export and import need of a masks (the CLI opens no more than this). */
export type MovingStores = Pick<Masks, 'config' | 'store' | 'keyed' | 'clock'>;

export interface Moved {
  clients: number;
  actors: number;
}

/** The same only under the same installation secret, and telling nothing of it (a keyed hash of a fixed text). */
const secretCheck = (keyed: Keyed): string => keyed.hash('masks export', 'installation-check');

/** What an operator sees of a file system error: its code, not a stack. */
const fileError = (doing: string, file: string, error: unknown): InputError => {
  const code = (error as { code?: string }).code;
  return new InputError(code === 'EEXIST' ? `${file} exists; export to a new file` : `cannot ${doing} ${file} (${code ?? (error as Error).message})`);
};

/** Write every client but masks' own and every actor to `file` (new, mode 0600). */
export async function exportTo(masks: MovingStores, file: string): Promise<Moved> {
  const all = await masks.store.exportAll();
  // The built-in clients are remade by every boot, with the installation's own name.
  const clients = all.clients.filter((client) => !isBuiltInClient(client.id));
  const kept = new Set(clients.map((client) => client.id));
  const actors = all.actors.map((actor) => ({ ...actor, consents: actor.consents.filter((consent) => kept.has(consent.clientId)) }));
  const text = formatExport({ exportedAt: new Date(masks.clock() * 1000).toISOString(), secretCheck: secretCheck(masks.keyed), data: { clients, actors } });
  try {
    // 'wx': never over an existing file; 0600 from the start: it holds password hashes.
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw fileError('write', file, error);
  }
  return { clients: clients.length, actors: actors.length };
}

/** How many taken claims a refusal names before "and N more". */
const NAMED = 10;

/** Add the clients and actors of `file`; refused, with nothing written, when the file or this installation is not fit for them. */
export async function importFrom(masks: MovingStores, file: string): Promise<Moved> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw fileError('read', file, error);
  }
  const { secretCheck: check, data } = parseExport(text, file);
  const builtIn = data.clients.find((client) => isBuiltInClient(client.id));
  if (builtIn) throw new InputError(`${file}: client "${builtIn.id}" is built in; masks makes its own`);
  // Read before masks.keyed, which would make a new secret where there is none.
  const secretFile = secretFileFor(masks.config);
  const copy = "copy the old installation's secret.key and private key file here first";
  if (!existsSync(secretFile)) throw new InputError(`there is no ${secretFile}: ${copy}`);
  if (secretCheck(masks.keyed) !== check) throw new InputError(`${secretFile} is not the installation secret ${file} was exported under: ${copy}`);
  // A seeded client masks.yml does not declare would be deleted by the next start.
  const undeclared = data.clients.find((client) => client.seeded && !masks.config.seeds.clients.some((seed) => seed.id === client.id));
  if (undeclared) throw new InputError(`client "${undeclared.id}" was declared in the old masks.yml (seeds.clients) and is not in this one: bring masks.yml along`);
  const taken = await masks.store.importAll(data, masks.clock());
  if (taken.length > 0) {
    const named = taken.slice(0, NAMED).map(describeClaim).join(', ') + (taken.length > NAMED ? ` and ${taken.length - NAMED} more` : '');
    throw new InputError(`nothing imported: already here: ${named} (import into a new installation before its first start, which makes a first manager)`);
  }
  return { clients: data.clients.length, actors: data.actors.length };
}
