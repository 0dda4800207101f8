/**
 * Email: `integration.email: smtp` sends through `integration.smtp.*` with nodemailer (no
 * AUTH when `user` is blank; STARTTLS when the server offers it, TLS from the start when
 * `secure`). `log` (the development default) writes each message whole, as one .eml file
 * under <data>/outbox/ (mode 0600). `deliver` notes each message in the log: its link or
 * code only at log_level debug.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config/schema.js';
import type { Masks } from '../context.js';
import type { Mailer, MailMessage } from '../ports.js';

/** The From address: emails.from, else the installation name at masks' host. */
export function fromAddress(config: Config): string {
  if (config.emails.from) return config.emails.from;
  const host = new URL(config.url).hostname;
  return `"${config.name.replace(/["\\\r\n]/g, '')}" <masks@${host.includes('.') ? host : `${host}.localhost`}>`;
}

/** Outbox files sort in the order they were written. */
let written = 0;

export function openMailer(config: Config): Mailer {
  const from = fromAddress(config);
  const envelope = (message: MailMessage) => ({ from, to: message.to, subject: message.subject, text: message.text, html: message.html });
  if (config.integration.email === 'smtp') {
    const { host, port, secure, user, password } = config.integration.smtp;
    const transport = nodemailer.createTransport({ host, port, secure, ...(user ? { auth: { user, pass: password } } : {}) });
    return {
      async send(message) {
        await transport.sendMail(envelope(message));
        return {};
      },
    };
  }
  const outbox = path.join(config.data, 'outbox');
  const writer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(message) {
      const info = await writer.sendMail(envelope(message));
      mkdirSync(outbox, { recursive: true, mode: 0o700 });
      const sequence = String(++written).padStart(6, '0');
      const file = path.join(outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${sequence}-${randomBytes(4).toString('hex')}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      return { outbox: file };
    },
  };
}

/**
 * Send an email in the background (the reply never waits for it, so a known address is
 * answered as fast as an unknown one) and note it in the log.
 */
export function deliver(masks: Masks, message: MailMessage): void {
  masks.mailer.send(message).then(
    ({ outbox }) => {
      masks.log.info({ to: message.to, subject: message.subject, ...(outbox ? { outbox } : {}) }, outbox ? 'email written to the outbox' : 'email sent');
      masks.log.debug({ to: message.to, secret: message.secret }, 'what the email carries');
    },
    (error: unknown) => masks.log.error({ to: message.to, subject: message.subject, err: error }, 'sending an email failed'),
  );
}
