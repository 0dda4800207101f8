/**
 * Ports for side effects of the sign-in core: sending email (login links and codes,
 * verification) and text messages (SMS codes), and the log they note them in.
 * Implementations: src/delivery/ (SMTP or the outbox; Twilio or the outbox).
 */

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** What the message carries that must stay out of the log below debug level (a link, a code). */
  secret: string;
}

export interface Mailer {
  /** Resolves once the message is handed over: sent over SMTP, or written to `outbox` (a file). */
  send(message: MailMessage): Promise<{ outbox?: string }>;
}

export interface SmsMessage {
  /** E.164 phone number. */
  to: string;
  text: string;
  /** The code it carries (logged at debug level only). */
  secret: string;
}

export interface SmsSender {
  /** Resolves once the message is handed over: to Twilio, or written to `outbox` (a file). */
  send(message: SmsMessage): Promise<{ outbox?: string }>;
}

/** The part of a pino logger masks' services use (Fastify's logger once the app is built). */
export interface Log {
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLog: Log = { info: () => {}, debug: () => {}, error: () => {} };
