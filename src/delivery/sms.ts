/**
 * Text messages: `integration.phone: twilio` posts to Twilio's Messages REST API over HTTPS
 * (no SDK: one form POST with Basic authentication); `log` (the development default)
 * writes each message as one .txt file under <data>/outbox/ (mode 0600). `deliverSms`
 * notes each message in the log: its code only at log_level debug.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Masks } from '../context.js';
import type { SmsMessage, SmsSender } from '../ports.js';

/** Twilio answers within this, or the send counts as failed. */
const TWILIO_TIMEOUT_MS = 10_000;

let written = 0;

export function openSmsSender(config: Config): SmsSender {
  if (config.integration.phone === 'twilio') {
    const { account_sid: sid, auth_token: token, from, api_url: api } = config.integration.twilio;
    const url = new URL(`/2010-04-01/Accounts/${encodeURIComponent(sid)}/Messages.json`, api);
    const authorization = `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`;
    return {
      async send(message) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ To: message.to, From: from, Body: message.text }),
          signal: AbortSignal.timeout(TWILIO_TIMEOUT_MS),
        });
        if (!response.ok) throw new Error(`Twilio answered ${response.status}`);
        return {};
      },
    };
  }
  const outbox = path.join(config.data, 'outbox');
  return {
    async send(message) {
      mkdirSync(outbox, { recursive: true, mode: 0o700 });
      const file = path.join(outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${String(++written).padStart(6, '0')}-${randomBytes(4).toString('hex')}.txt`);
      writeFileSync(file, `To: ${message.to}\n\n${message.text}\n`, { mode: 0o600 });
      return { outbox: file };
    },
  };
}

/** Send a text in the background (the reply never waits for it) and note it in the log. */
export function deliverSms(masks: Masks, message: SmsMessage): void {
  const to = `…${message.to.slice(-4)}`;
  masks.sms.send(message).then(
    ({ outbox }) => {
      masks.log.info({ to, ...(outbox ? { outbox } : {}) }, outbox ? 'text message written to the outbox' : 'text message sent');
      masks.log.debug({ to, secret: message.secret }, 'what the text message carries');
    },
    (error: unknown) => masks.log.error({ to, err: error }, 'sending a text message failed'),
  );
}
