/**
 * Loading the configuration: defaults < masks.yml < MASKS_* environment variables.
 * Every problem stops the boot with one message naming the key; only variables that are
 * not meant for masks (Kubernetes service links) are ignored, with a warning.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import YAML from 'yaml';
import { ConfigError } from '../errors.js';
import { ConfigSchema, SECRET_KEYS, type Config } from './schema.js';


export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Told about what is ignored (names and reasons, never values); default: one line on stderr. */
  warn?: (message: string) => void;
}

const stderrWarn = (message: string): void => {
  process.stderr.write(`masks: warning: ${message}\n`);
};

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Environment variables that are not configuration keys themselves. */
const NON_KEY_ENV = new Set(['MASKS_YML']);

/** Every leaf of an object schema with its dotted path (arrays and scalars are leaves). */
export function schemaLeaves(schema: TSchema = ConfigSchema, prefix: string[] = []): Array<{ path: string[]; schema: TSchema }> {
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, child]) => schemaLeaves(child, [...prefix, key]));
  }
  return [{ path: prefix, schema }];
}

/** MASKS_* variable name for a key path: MASKS_ + the path joined by "_", upper-cased. */
export const envName = (keyPath: string[]) => `MASKS_${keyPath.join('_').toUpperCase()}`;

const ENV_KEYS: Map<string, { path: string[]; schema: TSchema }> = new Map(
  schemaLeaves()
    .filter(({ path: p }) => p[0] !== 'seeds')
    .map((leaf) => [envName(leaf.path), leaf]),
);

/**
 * The variables Kubernetes injects for a service named masks or masks-* (enableServiceLinks):
 * {SVC}_SERVICE_HOST, {SVC}_SERVICE_PORT[_{NAME}], {SVC}_PORT_{N}_{PROTO}[_PROTO|_PORT|_ADDR],
 * and {SVC}_PORT holding a tcp://, udp:// or sctp:// URL (MASKS_PORT with a number is the real key).
 */
const SERVICE_LINK_NAME = /^MASKS(?:_[A-Z0-9_]+?)?_(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|PORT_\d{1,5}_(?:TCP|UDP|SCTP)(?:_(?:PROTO|PORT|ADDR))?)$/;
const SERVICE_LINK_PORT = /^MASKS(?:_[A-Z0-9_]+)?_PORT$/;
const SERVICE_LINK_URL = /^(?:tcp|udp|sctp):\/\//i;

export const isServiceLink = (name: string, value: string): boolean =>
  (SERVICE_LINK_NAME.test(name) && !ENV_KEYS.has(name)) || (SERVICE_LINK_PORT.test(name) && SERVICE_LINK_URL.test(value));

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The closest candidate, if close enough to be a plausible typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

const ALL_PATHS = schemaLeaves().map((l) => l.path.join('.'));

/** Throws on the first key the schema does not know, with a "did you mean". Also turns comma lists into arrays. */
function normalise(schema: TSchema, value: Json, at: string[], source: string): Json {
  if (schema.type === 'object' && schema.properties && isObj(value)) {
    const properties = schema.properties as Record<string, TSchema>;
    for (const key of Object.keys(value)) {
      const keyPath = [...at, key].join('.');
      if (!(key in properties)) {
        const sibling = suggest(key, Object.keys(properties));
        const elsewhere = ALL_PATHS.find((p) => p.endsWith(`.${key}`));
        const hint = sibling ? ` (did you mean "${[...at, sibling].join('.')}"?)` : elsewhere ? ` (did you mean "${elsewhere}"?)` : '';
        throw new ConfigError(`unknown config key "${keyPath}" in ${source}${hint}`);
      }
      value[key] = normalise(properties[key]!, value[key], [...at, key], source);
    }
    return value;
  }
  if (schema.type === 'array') {
    if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
    if (Array.isArray(value) && schema.items) return value.map((item, i) => normalise(schema.items as TSchema, item, [...at, String(i)], source));
  }
  return value;
}

function fromEnv(raw: string, schema: TSchema): Json {
  const types = new Set<string>([schema.type, ...((schema.anyOf as TSchema[] | undefined) ?? []).map((s) => s.type)].filter(Boolean));
  if (types.has('boolean')) {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off|)$/i.test(raw)) return false;
  }
  if (types.has('integer') && /^\d+$/.test(raw) && !types.has('string')) return Number(raw);
  if (types.has('null') && raw === '') return null;
  return raw; // arrays are split by normalise()
}

function setPath(target: Obj, keyPath: string[], value: Json) {
  let node = target;
  for (const key of keyPath.slice(0, -1)) {
    if (!isObj(node[key])) node[key] = {};
    node = node[key] as Obj;
  }
  node[keyPath.at(-1)!] = value;
}

function readYaml(file: string): Obj {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(`${file} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const data = doc.toJS() as Json;
  if (data === null || data === undefined) return {};
  if (!isObj(data)) throw new ConfigError(`${file} must hold a mapping of config keys at the top`);
  return data;
}

/** Is this key a secret, or does its value hold one (SECRET_KEYS, `*` for any one segment)? */
function mayHoldSecret(keyPath: string): boolean {
  const parts = keyPath.split('.').filter(Boolean);
  return SECRET_KEYS.some((secret) => {
    const pattern = secret.split('.');
    return parts.length <= pattern.length && parts.every((part, i) => pattern[i] === '*' || pattern[i] === part);
  });
}

function describeError(error: { path: string; message: string; value: unknown; schema: TSchema }, sources: Map<string, string>): string {
  const keyPath = error.path.split('/').filter(Boolean).join('.');
  const source = [...sources.entries()].find(([p]) => keyPath === p || keyPath.startsWith(`${p}.`))?.[1] ?? 'masks.yml';
  const got = mayHoldSecret(keyPath) ? '[redacted]' : JSON.stringify(error.value);
  const schema = error.schema;
  const options = (schema.anyOf as TSchema[] | undefined)?.filter((s) => s.const !== undefined).map((s) => s.const);
  let reason = error.message.replace(/^Expected/, 'expected');
  if (schema.anyOf && (schema.anyOf as TSchema[]).some((s) => s.format === 'duration')) reason = 'is not a duration (try "10 minutes", "6 hours" or "30s")';
  else if (schema.format === 'duration') reason = 'is not a duration (try "10 minutes", "6 hours" or "30s")';
  else if (options && options.length > 0 && options.length === (schema.anyOf as TSchema[]).length) reason = `must be one of ${options.join(', ')}`;
  return `config key "${keyPath || '(top)'}" ${reason}, got ${got} (from ${source})`;
}

/** Load, merge, validate and decode the configuration. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const sources = new Map<string, string>();

  const ymlPath = env.MASKS_YML ? path.resolve(cwd, env.MASKS_YML) : path.join(cwd, 'masks.yml');
  const ymlExists = existsSync(ymlPath);
  if (env.MASKS_YML && !ymlExists) throw new ConfigError(`MASKS_YML points to ${ymlPath}, which does not exist`);
  const raw: Obj = ymlExists ? readYaml(ymlPath) : {};
  const ymlName = path.relative(cwd, ymlPath) || ymlPath;
  normalise(ConfigSchema, raw, [], ymlName);

  const links: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('MASKS_') || NON_KEY_ENV.has(name) || value === undefined) continue;
    if (isServiceLink(name, value)) {
      links.push(name);
      continue;
    }
    const leaf = ENV_KEYS.get(name);
    if (!leaf) {
      const hint = suggest(name, ENV_KEYS.keys());
      throw new ConfigError(`unknown environment variable ${name}${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
    setPath(raw, leaf.path, normalise(leaf.schema, fromEnv(value, leaf.schema), leaf.path, name));
    sources.set(leaf.path.join('.'), `environment variable ${name}`);
  }
  if (links.length > 0) {
    (options.warn ?? stderrWarn)(`ignoring Kubernetes service link variables, not masks settings: ${links.sort().join(', ')} (enableServiceLinks: false on the pod drops them)`);
  }

  const withDefaults = Value.Default(ConfigSchema, raw);
  const firstError = Value.Errors(ConfigSchema, withDefaults).First();
  if (firstError) throw new ConfigError(describeError(firstError, sources));
  const config = Value.Decode(ConfigSchema, withDefaults);
  return resolvePaths(config, cwd);
}

/** A database URL without its password, for printing. */
export const withoutPassword = (url: string): string => url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+):[^@]*@/i, '$1:[redacted]@');

export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//i.test(url);

function checkPostgresUrl(url: string): void {
  try {
    if (new URL(url).hostname === '') throw new Error('no host');
  } catch {
    throw new ConfigError('config key "db_url": a PostgreSQL URL must look like postgres://user:password@host:5432/database');
  }
}

function resolvePaths(config: Config, cwd: string): Config {
  const data = path.resolve(cwd, config.data);
  let dbUrl = config.db_url;
  if (dbUrl === '') dbUrl = path.join(data, 'masks.sqlite3');
  else if (dbUrl.startsWith('file:')) dbUrl = path.resolve(cwd, dbUrl.slice('file:'.length).replace(/^\/\/(?=\/)/, ''));
  else if (isPostgresUrl(dbUrl)) checkPostgresUrl(dbUrl);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dbUrl)) throw new ConfigError(`config key "db_url": SQLite (a file path or file: URL) or PostgreSQL (postgres://…) is supported, got ${JSON.stringify(dbUrl.split(':')[0] + '://…')}`);
  else if (dbUrl !== ':memory:') dbUrl = path.resolve(cwd, dbUrl);
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new ConfigError(`config key "url" must be an absolute http(s) URL, got ${JSON.stringify(config.url)}`);
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash) throw new ConfigError(`config key "url" must be an http(s) URL without query or fragment, got ${JSON.stringify(config.url)}`);
  if (config.passwords.min_chars > config.passwords.max_chars) throw new ConfigError('config key "passwords.min_chars" is larger than "passwords.max_chars"');
  return {
    ...config,
    data,
    db_url: dbUrl,
    private_key: path.resolve(cwd, config.private_key || path.join(data, 'private.key')),
    webauthn: { ...config.webauthn, rp_name: config.webauthn.rp_name || config.name },
  };
}

/** A copy of the configuration with every secret replaced, for printing. */
export function redact(config: Config): unknown {
  const copy = structuredClone(config) as unknown as Obj;
  const walk = (node: Json, parts: string[]) => {
    if (!isObj(node) && !Array.isArray(node)) return;
    const [head, ...rest] = parts;
    const keys = head === '*' ? Object.keys(node) : [head!];
    for (const key of keys) {
      const container = node as Obj;
      if (!(key in container)) continue;
      if (rest.length === 0) {
        if (container[key]) container[key] = '[redacted]';
      } else walk(container[key], rest);
    }
  };
  for (const key of SECRET_KEYS) walk(copy, key.split('.'));
  copy.db_url = withoutPassword(config.db_url);
  return copy;
}
