/** Actors (people and machines) and their email addresses. */
import { randomUUID } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import type { Database } from './db.js';
import { normaliseIdentifier } from './normalise.js';
import { actors, emails } from './schema.js';

export interface Actor {
  id: string;
  nickname: string | null;
  publicUuid: string;
  name: string | null;
  passwordHash: string | null;
  scopes: string[];
  emails: Array<{ address: string; verifiedAt: number | null }>;
  createdAt: number;
  updatedAt: number;
}

export interface NewActor {
  nickname?: string | undefined;
  email?: string | undefined;
  name?: string | undefined;
  passwordHash?: string | undefined;
  scopes?: string[] | undefined;
  emailVerified?: boolean;
}

export class Actors {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number,
  ) {}

  private load(row: typeof actors.$inferSelect | undefined): Actor | undefined {
    if (!row) return undefined;
    const addresses = this.db.orm.select().from(emails).where(eq(emails.actorId, row.id)).orderBy(asc(emails.id)).all();
    return {
      id: row.id,
      nickname: row.nickname,
      publicUuid: row.publicUuid,
      name: row.name,
      passwordHash: row.passwordHash,
      scopes: row.scopes,
      emails: addresses.map((e) => ({ address: e.address, verifiedAt: e.verifiedAt })),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  find(id: string): Actor | undefined {
    return this.load(this.db.orm.select().from(actors).where(eq(actors.id, id)).get());
  }

  /** By nickname or email address, normalised. */
  findByIdentifier(identifier: string): Actor | undefined {
    const key = normaliseIdentifier(identifier);
    const byNickname = this.db.orm.select().from(actors).where(eq(actors.nickname, key)).get();
    if (byNickname) return this.load(byNickname);
    const email = this.db.orm.select().from(emails).where(eq(emails.address, key)).get();
    return email ? this.find(email.actorId) : undefined;
  }

  list(): Actor[] {
    return this.db.orm.select().from(actors).orderBy(asc(actors.createdAt), asc(actors.nickname)).all().map((row) => this.load(row)!);
  }

  /** Does any actor hold this scope? */
  hasScope(scope: string): boolean {
    return this.db.orm.get(sql`select 1 as found from ${actors}, json_each(${actors.scopes}) where json_each.value = ${scope} limit 1`) !== undefined;
  }

  create(input: NewActor): Actor {
    const id = randomUUID();
    const now = this.clock();
    this.db.sqlite.transaction(() => {
      this.db.orm
        .insert(actors)
        .values({
          id,
          nickname: input.nickname ? normaliseIdentifier(input.nickname) : null,
          publicUuid: randomUUID(),
          name: input.name ?? null,
          passwordHash: input.passwordHash ?? null,
          passwordChangedAt: input.passwordHash ? now : null,
          scopes: input.scopes ?? [],
          createdAt: now,
          updatedAt: now,
        })
        .run();
      if (input.email) {
        this.db.orm
          .insert(emails)
          .values({ actorId: id, address: normaliseIdentifier(input.email), verifiedAt: input.emailVerified ? now : null, createdAt: now })
          .run();
      }
    })();
    return this.find(id)!;
  }
}
