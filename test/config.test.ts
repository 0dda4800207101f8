import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import { renderExampleConfig } from '../src/config/example.js';
import { loadConfig, redact, schemaLeaves } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { tempDir } from './helpers/app.js';

/** The client defaults every client inherits: a contract, by key and value. */
const SEED_DEFAULTS: Record<string, unknown> = {
  checks: ['device', 'credentials'],
  'scopes.required': [],
  'scopes.allowed': [],
  client_type: 'internal',
  subject_type: 'pairwise-uuid',
  sector_identifier: '',
  allow_passwords: true,
  allow_login_links: true,
  autofill_redirect_uri: false,
  fuzzy_redirect_uri: false,
  bg_light: '',
  bg_dark: '',
  id_token_expires_in: 6 * 3600,
  access_token_expires_in: 6 * 3600,
  authorization_code_expires_in: 10 * 60,
  internal_token_expires_in: 86_400,
  login_link_expires_in: 10 * 60,
  auth_attempt_expires_in: 3600,
  login_link_factor_expires_in: 12 * 3600,
  sso_factor_expires_in: 3 * 3600,
  refresh_token_expires_in: 30 * 86_400,
  password_factor_expires_in: 86_400,
  second_factor_backup_code_expires_in: 3600,
  second_factor_phone_expires_in: 10 * 60,
  second_factor_totp_code_expires_in: 10 * 60,
  second_factor_webauthn_expires_in: 10 * 60,
  email_verification_expires_in: 365 * 86_400,
};

const get = (object: unknown, dotted: string) => dotted.split('.').reduce<any>((node, key) => node?.[key], object);

function load(t: Tap, files: Record<string, string> = {}, env: Record<string, string> = {}) {
  const dir = tempDir(t);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return loadConfig({ cwd: dir, env });
}
type Tap = Parameters<typeof tempDir>[0] & { type(value: unknown, klass: Function): boolean; fail(message: string): boolean };

function loadError(t: Tap, files: Record<string, string>, env: Record<string, string> = {}): string {
  try {
    load(t, files, env);
  } catch (error) {
    t.type(error, ConfigError);
    return (error as Error).message;
  }
  t.fail('expected a ConfigError');
  return '';
}

t.test('every client default of the contract, by key and value', async (t) => {
  const config = load(t);
  for (const [key, value] of Object.entries(SEED_DEFAULTS)) t.same(get(config.clients, key), value, `clients.${key}`);
  const leaves = schemaLeaves().filter((leaf) => leaf.path[0] === 'clients').map((leaf) => leaf.path.slice(1).join('.'));
  const table = Object.keys(SEED_DEFAULTS);
  t.same(leaves.filter((key) => table.includes(key)).sort(), [...table].sort(), 'the schema has every key of the table');
});

t.test('installation defaults', async (t) => {
  const dir = tempDir(t);
  const config = loadConfig({ cwd: dir, env: {} });
  t.equal(config.url, 'http://localhost:5000');
  t.equal(config.name, 'masks');
  t.equal(config.port, 5000);
  t.equal(config.host, '0.0.0.0');
  t.equal(config.data, path.join(dir, 'data'));
  t.equal(config.db_url, path.join(dir, 'data', 'masks.sqlite3'));
  t.equal(config.private_key, path.join(dir, 'data', 'private.key'));
  t.equal(config.manager.nickname, 'manager');
  t.equal(config.manager.password, '');
  t.equal(config.skip_migrations, false);
  t.same(config.checks, ['device', 'credentials', 'second-factor', 'client-consent', 'onboarded', 'verified-email']);
  t.equal(config.lifetimes.session, null, 'blank: browser session');
  t.equal(config.lifetimes.device, 400 * 86_400);
  t.equal(config.nicknames.enabled, true);
  t.equal(config.emails.enabled, true);
  t.equal(config.emails.max_for_login, 5);
  t.equal(config.passwords.min_chars, 8);
  t.equal(config.passwords.max_chars, 100);
  for (const key of ['totp_codes', 'login_links', 'passkeys', 'webauthn', 'phones'] as const) t.equal(config[key].enabled, true, `${key}.enabled: on, as the contract says`);
  t.equal(config.webauthn.rp_name, 'masks', 'rp_name defaults to the name');
  t.equal(config.backup_codes.total, 10);
  t.equal(config.integration.email, 'log');
  t.equal(config.integration.phone, 'log');
  t.same(config.seeds, { clients: [], actors: [] });
});

t.test('environment beats file beats default', async (t) => {
  const yml = 'name: from-file\nport: 6000\nclients:\n  access_token_expires_in: 1 hour\n  refresh_token_expires_in: 2 days\n';
  const config = load(t, { 'masks.yml': yml }, { MASKS_PORT: '7000', MASKS_CLIENTS_ACCESS_TOKEN_EXPIRES_IN: '15m', MASKS_PASSWORDS_MIN_CHARS: '12' });
  t.equal(config.port, 7000, 'env over file');
  t.equal(config.name, 'from-file', 'file over default');
  t.equal(config.clients.access_token_expires_in, 900, 'env over file, nested');
  t.equal(config.clients.refresh_token_expires_in, 2 * 86_400, 'file over default, nested');
  t.equal(config.clients.id_token_expires_in, 6 * 3600, 'default');
  t.equal(config.passwords.min_chars, 12);
});

t.test('the documented environment variables', async (t) => {
  const dir = tempDir(t);
  const config = loadConfig({
    cwd: dir,
    env: {
      MASKS_URL: 'https://id.example.com',
      MASKS_NAME: 'Example',
      MASKS_HOST: '127.0.0.1',
      MASKS_DATA: 'state',
      MASKS_DB_URL: 'file:db/x.sqlite3',
      MASKS_PRIVATE_KEY: 'keys/k.pem',
      MASKS_MANAGER_NICKNAME: 'boss',
      MASKS_MANAGER_PASSWORD: 'hunter22hunter22',
      MASKS_MANAGER_EMAIL: 'boss@example.com',
      MASKS_SKIP_MIGRATIONS: 'true',
      MASKS_CLIENTS_CHECKS: 'device, credentials, client-consent',
    },
  });
  t.equal(config.url, 'https://id.example.com');
  t.equal(config.name, 'Example');
  t.equal(config.host, '127.0.0.1');
  t.equal(config.data, path.join(dir, 'state'));
  t.equal(config.db_url, path.join(dir, 'db', 'x.sqlite3'));
  t.equal(config.private_key, path.join(dir, 'keys', 'k.pem'));
  t.same(config.manager, { nickname: 'boss', password: 'hunter22hunter22', email: 'boss@example.com' });
  t.equal(config.skip_migrations, true);
  t.same(config.clients.checks, ['device', 'credentials', 'client-consent'], 'comma lists');
});

t.test('MASKS_YML names the file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'other.yml'), 'name: elsewhere\n');
  t.equal(loadConfig({ cwd: dir, env: { MASKS_YML: 'other.yml' } }).name, 'elsewhere');
  t.throws(() => loadConfig({ cwd: dir, env: { MASKS_YML: 'missing.yml' } }), /MASKS_YML points to .*missing\.yml, which does not exist/);
});

t.test('each kind of config error names the key', async (t) => {
  t.equal(loadError(t, { 'masks.yml': 'nmae: x\n' }), 'unknown config key "nmae" in masks.yml (did you mean "name"?)');
  t.equal(
    loadError(t, { 'masks.yml': 'clients:\n  acces_token_expires_in: 1 hour\n' }),
    'unknown config key "clients.acces_token_expires_in" in masks.yml (did you mean "clients.access_token_expires_in"?)',
  );
  t.equal(
    loadError(t, { 'masks.yml': 'access_token_expires_in: 1 hour\n' }),
    'unknown config key "access_token_expires_in" in masks.yml (did you mean "clients.access_token_expires_in"?)',
  );
  t.equal(
    loadError(t, { 'masks.yml': 'clients:\n  access_token_expires_in: 10 minuts\n' }),
    'config key "clients.access_token_expires_in" is not a duration (try "10 minutes", "6 hours" or "30s"), got "10 minuts" (from masks.yml)',
  );
  t.equal(loadError(t, { 'masks.yml': 'port: eighty\n' }), 'config key "port" expected integer, got "eighty" (from masks.yml)');
  t.equal(loadError(t, { 'masks.yml': 'nicknames:\n  enabled: maybe\n' }), 'config key "nicknames.enabled" expected boolean, got "maybe" (from masks.yml)');
  t.equal(
    loadError(t, { 'masks.yml': 'clients:\n  client_type: secret\n' }),
    'config key "clients.client_type" must be one of internal, confidential, public, got "secret" (from masks.yml)',
  );
  t.equal(
    loadError(t, {}, { MASKS_PORTT: '1' }),
    'unknown environment variable MASKS_PORTT (did you mean MASKS_PORT?)',
  );
  t.equal(
    loadError(t, {}, { MASKS_CLIENTS_SSO_FACTOR_EXPIRES_IN: 'soon' }),
    'config key "clients.sso_factor_expires_in" is not a duration (try "10 minutes", "6 hours" or "30s"), got "soon" (from environment variable MASKS_CLIENTS_SSO_FACTOR_EXPIRES_IN)',
  );
  t.match(loadError(t, { 'masks.yml': 'name: [unclosed\n' }), /masks\.yml is not valid YAML/);
  t.match(loadError(t, { 'masks.yml': 'name: a\nname: b\n' }), /not valid YAML/, 'duplicate keys');
  t.match(loadError(t, { 'masks.yml': '- a\n- b\n' }), /masks\.yml must hold a mapping of config keys at the top$/, 'not a mapping');
  t.match(
    loadError(t, { 'masks.yml': 'seeds:\n  clients:\n    - id: x\n      secrett: abc\n' }),
    /unknown config key "seeds\.clients\.0\.secrett" in masks\.yml \(did you mean "seeds\.clients\.0\.secret"\?\)/,
  );
  t.match(loadError(t, { 'masks.yml': 'seeds:\n  clients:\n    - id: x\n      secret: short\n' }), /config key "seeds\.clients\.0\.secret"/);
  t.match(loadError(t, { 'masks.yml': 'url: not a url\n' }), /config key "url" must be an absolute http\(s\) URL/);
  t.match(loadError(t, { 'masks.yml': 'db_url: mysql://db/masks\n' }), /config key "db_url": SQLite \(a file path or file: URL\) or PostgreSQL \(postgres:\/\/…\) is supported, got "mysql:\/\/…"/);
  t.match(loadError(t, { 'masks.yml': 'db_url: "postgres://"\n' }), /config key "db_url": a PostgreSQL URL must look like postgres:\/\/user:password@host/);
});

t.test('every feature switch can be turned on or off, from the file or the environment, without a warning', async (t) => {
  const asked = (files: Record<string, string>, env: Record<string, string> = {}) => {
    const warnings: string[] = [];
    const dir = tempDir(t);
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
    return { config: loadConfig({ cwd: dir, env, warn: (line) => warnings.push(line) }), warnings };
  };
  const on = asked({ 'masks.yml': 'passkeys: { enabled: true }\nlogin_links: { enabled: true }\ntotp_codes: { enabled: true }\nphones: { enabled: true }\nwebauthn: { enabled: true }\nintegration: { email: smtp, phone: twilio }\n' });
  t.same(on.warnings, []);
  t.same([on.config.integration.email, on.config.integration.phone], ['smtp', 'twilio']);
  const off = asked({}, { MASKS_PASSKEYS_ENABLED: 'false', MASKS_LOGIN_LINKS_ENABLED: 'false', MASKS_TOTP_CODES_ENABLED: 'false', MASKS_PHONES_ENABLED: 'false', MASKS_WEBAUTHN_ENABLED: 'false' });
  t.same([off.config.passkeys.enabled, off.config.login_links.enabled, off.config.totp_codes.enabled, off.config.phones.enabled, off.config.webauthn.enabled], [false, false, false, false, false]);
  t.same(off.warnings, []);
});

t.test('seed clients inherit defaults: only what they set is kept', async (t) => {
  const yml = 'seeds:\n  clients:\n    - id: a\n      client_type: confidential\n      access_token_expires_in: 5m\n      scopes: { allowed: [x] }\n';
  const config = load(t, { 'masks.yml': yml });
  t.same(config.seeds.clients, [{ id: 'a', client_type: 'confidential', access_token_expires_in: 300, scopes: { allowed: ['x'] } }]);
});

t.test('masks.example.yml matches the schema', async (t) => {
  const file = path.join(PACKAGE_ROOT, 'masks.example.yml');
  const text = readFileSync(file, 'utf8');
  t.equal(text, renderExampleConfig(), 'regenerate with: npm run example-config');
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'masks.yml'), text);
  t.same(loadConfig({ cwd: dir, env: {} }), loadConfig({ cwd: dir, env: { MASKS_YML: '/dev/null' } }), 'it loads, and its values are the defaults');
  const parsed = YAML.parse(text);
  for (const leaf of schemaLeaves()) {
    const key = leaf.path.join('.');
    t.ok(get(parsed, key) !== undefined || (key === 'lifetimes.session' && get(parsed, key) === null), `${key} is listed`);
    t.ok(text.includes(`# ${leaf.schema.description}`), `${key} has its description`);
  }
});

t.test('masks config redacts secrets', async (t) => {
  const yml = 'manager:\n  password: very-secret-password\nseeds:\n  clients:\n    - id: a\n      client_type: confidential\n      secret: "0123456789abcdef0123456789abcdef"\n';
  const shown = JSON.stringify(redact(load(t, { 'masks.yml': yml })));
  t.notMatch(shown, 'very-secret-password');
  t.notMatch(shown, '0123456789abcdef0123456789abcdef');
  t.match(shown, '[redacted]');
  const withDatabase = redact(load(t, { 'masks.yml': 'db_url: postgres://masks:db-password-here@db.internal:5432/masks\n' })) as { db_url: string };
  t.equal(withDatabase.db_url, 'postgres://masks:[redacted]@db.internal:5432/masks', "the database password is hidden, where it is and which database it is are not");
});

/** What Kubernetes injects into every pod of the namespace for a Service named masks. */
const SERVICE_LINKS = {
  MASKS_PORT: 'tcp://10.0.0.1:5000',
  MASKS_SERVICE_HOST: '10.0.0.1',
  MASKS_SERVICE_PORT: '5000',
  MASKS_SERVICE_PORT_HTTP: '5000',
  MASKS_PORT_5000_TCP: 'tcp://10.0.0.1:5000',
  MASKS_PORT_5000_TCP_PROTO: 'tcp',
  MASKS_PORT_5000_TCP_PORT: '5000',
  MASKS_PORT_5000_TCP_ADDR: '10.0.0.1',
};

t.test('Kubernetes service links do not stop the boot: ignored with a warning', async (t) => {
  const dir = tempDir(t);
  const warnings: string[] = [];
  const config = loadConfig({ cwd: dir, env: { ...SERVICE_LINKS, MASKS_NAME: 'in-kubernetes' }, warn: (message) => warnings.push(message) });
  t.equal(config.port, 5000, 'MASKS_PORT=tcp://… is a link, not the port; the default stays');
  t.equal(config.name, 'in-kubernetes', 'real keys still apply');
  t.equal(warnings.length, 1, 'one warning');
  for (const name of Object.keys(SERVICE_LINKS)) t.match(warnings[0], name, `names ${name}`);
  t.match(warnings[0], /Kubernetes service link/, 'and says why');
  t.notMatch(warnings[0], '10.0.0.1', 'without values');

  writeFileSync(path.join(dir, 'masks.yml'), 'port: 6000\n');
  t.equal(loadConfig({ cwd: dir, env: { MASKS_PORT: 'udp://10.0.0.1:53' }, warn: () => {} }).port, 6000, 'a udp:// link does not override the file either');
  t.equal(loadConfig({ cwd: tempDir(t), env: { MASKS_PORT: 'sctp://10.0.0.1:9', MASKS_DB_SERVICE_HOST: '10.0.0.2', MASKS_DB_PORT: 'tcp://10.0.0.2:5432' }, warn: () => {} }).port, 5000, 'links of a service named masks-db too');
  t.equal(load(t, {}, { MASKS_PORT: '7000' }).port, 7000, 'a number is the real key');
  loadConfig({ cwd: tempDir(t), env: { MASKS_NAME: 'x' }, warn: (message) => warnings.push(message) });
  t.equal(warnings.length, 1, 'no links, no warning');
});

t.test('the default warning is one line on stderr', async (t) => {
  const dir = tempDir(t);
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
  try {
    loadConfig({ cwd: dir, env: { MASKS_SERVICE_HOST: '10.0.0.1' } });
  } finally {
    process.stderr.write = write;
  }
  t.equal(written.length, 1);
  t.match(written[0], /^masks: warning: ignoring Kubernetes service link variables[^\n]*: MASKS_SERVICE_HOST [^\n]*\n$/);
});

t.test('misspelt keys still stop the boot next to service links', async (t) => {
  t.equal(loadError(t, {}, { ...SERVICE_LINKS, MASKS_PROT: '5000' }), 'unknown environment variable MASKS_PROT (did you mean MASKS_PORT?)');
  t.equal(
    loadError(t, {}, { ...SERVICE_LINKS, MASKS_CLIENTS_ACESS_TOKEN_EXPIRES_IN: '1h' }),
    'unknown environment variable MASKS_CLIENTS_ACESS_TOKEN_EXPIRES_IN (did you mean MASKS_CLIENTS_ACCESS_TOKEN_EXPIRES_IN?)',
  );
  t.match(loadError(t, {}, { MASKS_SMTP_PORT: '587' }), /^unknown environment variable MASKS_SMTP_PORT/, 'a *_PORT that is not a link URL is a key');
  t.match(loadError(t, {}, { MASKS_PORT: 'http://10.0.0.1:5000' }), /config key "port" expected integer/, 'only tcp, udp and sctp URLs are links');
});

t.test('a config error names a secret key but never prints its value', async (t) => {
  const password = loadError(t, { 'masks.yml': 'seeds:\n  actors:\n    - nickname: bob\n      password: 31415926535\n' });
  t.equal(password, 'config key "seeds.actors.0.password" expected string, got [redacted] (from masks.yml)');
  const secret = loadError(t, { 'masks.yml': 'seeds:\n  clients:\n    - id: x\n      secret: hunter2-secret\n' });
  t.match(secret, /^config key "seeds\.clients\.0\.secret" .*, got \[redacted\] \(from masks\.yml\)$/);
  t.notMatch(secret, 'hunter2');
  t.match(loadError(t, { 'masks.yml': 'port: eighty\n' }), 'got "eighty"', 'other values are still shown');
});
