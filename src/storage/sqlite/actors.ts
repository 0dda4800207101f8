/** Actors (people and machines) and their email addresses, in SQLite. */
import { randomUUID } from 'node:crypto';
import { asc, eq, getTableColumns, sql } from 'drizzle-orm';
import { LastHolderError, StaleError } from '../../errors.js';
import type { Actor, ActorChange, NewActor } from '../../model.js';
import { actorSearch } from '../conditions.js';
import { actorOf } from '../rows.js';
import { normaliseIdentifier } from '../normalise.js';
import type { ActorGuard, ActorQuery, ActorStore } from '../store.js';
import type { Database } from './db.js';
import { actors, emails } from './schema.js';

export class SqliteActors implements ActorStore {
  /** The reads of every sign-in, prepared once. */
  private readonly reads;

  constructor(
    private readonly db: Database,
    private readonly clock: () => number,
  ) {
    const p = (name: string) => sql.placeholder(name);
    // An actor with their addresses in one query (oldest first), not one query for each.
    const withEmails = () =>
      db.orm
        .select({
          ...getTableColumns(actors),
          // Spelled out: drizzle leaves a selected expression's columns unqualified, and "id" would be the address's own.
          emails: sql<string>`(select json_group_array(json_object('address', e.address, 'verifiedAt', e.verified_at) order by e.id) from emails e where e.actor_id = "actors"."id")`,
        })
        .from(actors);
    this.reads = {
      byId: withEmails().where(eq(actors.id, p('id'))).prepare(),
      byNickname: withEmails().where(eq(actors.nickname, p('nickname'))).prepare(),
      all: withEmails().orderBy(asc(actors.createdAt), asc(actors.nickname)).prepare(),
      byAddress: db.orm.select().from(emails).where(eq(emails.address, p('address'))).prepare(),
    };
  }

  private load(row: (typeof actors.$inferSelect & { emails: string }) | undefined): Actor | undefined {
    if (!row) return undefined;
    return actorOf(row, JSON.parse(row.emails) as Array<{ address: string; verifiedAt: number | null }>);
  }

  private findSync(id: string): Actor | undefined {
    return this.load(this.reads.byId.get({ id }));
  }

  async find(id: string): Promise<Actor | undefined> {
    return this.findSync(id);
  }

  async findByIdentifier(identifier: string): Promise<Actor | undefined> {
    const key = normaliseIdentifier(identifier);
    const byNickname = this.reads.byNickname.get({ nickname: key });
    if (byNickname) return this.load(byNickname);
    const email = this.reads.byAddress.get({ address: key });
    return email ? this.findSync(email.actorId) : undefined;
  }

  async list(): Promise<Actor[]> {
    return this.reads.all.all().map((row) => this.load(row)!);
  }

  async search(query: ActorQuery): Promise<{ actors: Actor[]; total: number }> {
    const condition = actorSearch(query.text, actors, emails);
    const where = condition ? sql`where ${condition}` : sql``;
    const total = this.db.orm.get<{ total: number }>(sql`select count(*) as total from ${actors} ${where}`)!.total;
    const ids = this.db.orm.all<{ id: string }>(sql`select ${actors.id} as id from ${actors} ${where} order by ${actors.createdAt}, ${actors.id} limit ${query.limit} offset ${query.offset}`);
    return { actors: ids.map(({ id }) => this.findSync(id)!), total };
  }

  async countWithScope(scope: string): Promise<number> {
    return this.db.orm.get<{ n: number }>(sql`select count(*) as n from ${actors}, json_each(${actors.scopes}) where json_each.value = ${scope} and ${actors.disabledAt} is null`)!.n;
  }

  async update(id: string, change: ActorChange, now: number, guard: ActorGuard = {}): Promise<Actor | undefined> {
    const outcome = await this.db.durable.run('updateActor', { id, change, now, ...guard });
    if (outcome === 'missing') return undefined;
    if (outcome === 'stale') throw new StaleError();
    if (outcome === 'last') throw new LastHolderError(guard.keepScope!);
    return this.findSync(id);
  }

  async delete(id: string, guard: Pick<ActorGuard, 'keepScope'> = {}): Promise<boolean> {
    const outcome = await this.db.durable.run('deleteActor', { id, ...guard });
    if (outcome === 'last') throw new LastHolderError(guard.keepScope!);
    return outcome;
  }

  async setPassword(id: string, passwordHash: string, now: number, keepSession = ''): Promise<void> {
    await this.db.durable.run('setPassword', { actorId: id, hash: passwordHash, now, keep: keepSession });
  }

  async hasScope(scope: string): Promise<boolean> {
    return this.db.orm.get(sql`select 1 as found from ${actors}, json_each(${actors.scopes}) where json_each.value = ${scope} limit 1`) !== undefined;
  }

  async create(input: NewActor): Promise<Actor> {
    const id = randomUUID();
    await this.db.durable.run('createActor', {
      id,
      publicUuid: randomUUID(),
      nickname: input.nickname ? normaliseIdentifier(input.nickname) : null,
      name: input.name ?? null,
      passwordHash: input.passwordHash ?? null,
      scopes: input.scopes ?? [],
      email: input.email ? normaliseIdentifier(input.email) : null,
      emailVerified: input.emailVerified ?? false,
      now: this.clock(),
    });
    return this.findSync(id)!;
  }
}
