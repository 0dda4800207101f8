/** A real SMTP server on 127.0.0.1 (smtp-server) that keeps what it receives, parsed (mailparser). */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './server.js';

export interface Inbox {
  port: number;
  mails: ParsedMail[];
  /** Resolves with the n-th mail (1-based) once it has arrived. */
  nth(n: number): Promise<ParsedMail>;
  /** Who authenticated, per mail (undefined: no AUTH). */
  users: Array<string | undefined>;
}

export async function startSmtp(t: { teardown(fn: () => unknown): void }, options: { user?: string; password?: string } = {}): Promise<Inbox> {
  const mails: ParsedMail[] = [];
  const users: Array<string | undefined> = [];
  const waiting: Array<() => void> = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: !options.user,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.password) return callback(null, { user: auth.username });
      callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          users.push(session.user as string | undefined);
          for (const wake of waiting.splice(0)) wake();
          callback();
        })
        .catch(callback);
    },
    logger: false,
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const nth = async (n: number): Promise<ParsedMail> => {
    const deadline = Date.now() + 10_000;
    while (mails.length < n) {
      if (Date.now() > deadline) throw new Error(`mail ${n} did not arrive`);
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return mails[n - 1]!;
  };
  return { port, mails, nth, users };
}
