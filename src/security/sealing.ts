/**
 * Secrets masks must read back (TOTP secrets, a setup in progress) sealed with AES-256-GCM.
 * The key is derived by HKDF-SHA-256 from the installation secret, one key per purpose;
 * each sealed value is bound to where it belongs (additional authenticated data), so a
 * value copied to another actor, record or attempt does not open.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class Sealer {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly secret: Buffer) {}

  private key(purpose: string): Buffer {
    let key = this.keys.get(purpose);
    if (!key) this.keys.set(purpose, (key = Buffer.from(hkdfSync('sha256', this.secret, Buffer.alloc(0), `masks ${purpose} ${VERSION}`, 32))));
    return key;
  }

  /** `plaintext` encrypted for `purpose`, bound to `binding`: "v1." then base64url(iv | ciphertext | tag). */
  seal(purpose: string, binding: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(purpose), iv).setAAD(Buffer.from(binding));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The plaintext, or undefined when the value was not sealed by this installation for this purpose and binding. */
  open(purpose: string, binding: string, sealed: string): string | undefined {
    if (!sealed.startsWith(`${VERSION}.`) || sealed.length > 4096) return undefined;
    const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64url');
    if (raw.length < 12 + 16) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key(purpose), raw.subarray(0, 12)).setAAD(Buffer.from(binding));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
