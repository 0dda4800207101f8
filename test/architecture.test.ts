/** The boundaries issue 7 drew, checked on the source: they hold only while a test says so. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PACKAGE_ROOT } from '../src/paths.js';

const SRC = path.join(PACKAGE_ROOT, 'src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : []));
const sources = files(SRC).map((file) => ({ file: path.relative(SRC, file), text: readFileSync(file, 'utf8') }));
const imports = (text: string) => [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);

t.test('nothing outside src/storage/ imports a database driver or the SQLite store', async (t) => {
  const outside = sources.filter((s) => !s.file.startsWith('storage/'));
  t.ok(outside.length > 20);
  for (const { file, text } of outside) {
    const bad = imports(text).filter((name) => /better-sqlite3|drizzle|storage\/sqlite\//.test(name));
    t.same(bad, [], file);
  }
});

t.test('the sign-in core has no Fastify import', async (t) => {
  for (const { file, text } of sources.filter((s) => s.file.startsWith('signin/'))) t.notOk(imports(text).some((name) => name.includes('fastify')), file);
});

t.test('no page module calls a write command of the store', async (t) => {
  const writes = /store\.\w+\.(advanceAttempt|endSession|blockDevice|save|delete|create|insert|revoke\w*|redeemCode|rotateRefreshToken|set|activate)\(|store\.sweep\(/;
  for (const { file, text } of sources.filter((s) => s.file.startsWith('pages/'))) t.notMatch(text, writes, file);
});
