/**
 * Ports for side effects the sign-in core will need: sending email (login links and codes,
 * verification) and text messages (SMS codes). Interfaces now; the implementations
 * (SMTP, the outbox log, Twilio) come with the features that use them.
 */

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export interface SmsMessage {
  /** E.164 phone number. */
  to: string;
  text: string;
}

export interface SmsSender {
  send(message: SmsMessage): Promise<void>;
}

/** A port for something this installation cannot send yet: every send fails, saying so. */
export function unavailable(what: string): Mailer & SmsSender {
  return {
    send: () => Promise.reject(new Error(`masks cannot send ${what} yet`)),
  };
}
