/** Statements prepared once per connection. */
import type Sqlite from 'better-sqlite3';

export function preparedOnce<T>(make: (db: Sqlite.Database) => T): (db: Sqlite.Database) => T {
  const prepared = new WeakMap<Sqlite.Database, T>();
  return (db) => {
    let statements = prepared.get(db);
    if (statements === undefined) prepared.set(db, (statements = make(db)));
    return statements;
  };
}
