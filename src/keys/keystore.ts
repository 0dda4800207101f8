/**
 * Signing keys. The active private keys (one RS256, one ES256) live in the installation
 * private key file (PEM, mode 0600); the public halves of every key, active or retired,
 * live in the signing_keys table, and retired ones stay in the JWKS until their tokens
 * have expired. `kid` is the RFC 7638 JWK thumbprint.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as signBytes, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, type JWK, type JWTPayload } from 'jose';
import { SIGNING_ALGS } from '../config/schema.js';
import type { SigningKeyStore } from '../storage/store.js';
import { writePrivateFile } from '../security/secrets.js';

export type SigningAlg = (typeof SIGNING_ALGS)[number];
export { SIGNING_ALGS };

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
  publicJwk: JWK & { kid: string };
}

const PEM_BLOCK = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/g;

function algOf(key: KeyObject): SigningAlg | undefined {
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  return undefined;
}

function generate(alg: SigningAlg): KeyObject {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return pair.privateKey;
}

async function signingKey(privateKey: KeyObject, alg: SigningAlg): Promise<SigningKey> {
  const jwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

function readKeyFile(file: string): KeyObject[] {
  const text = readFileSync(file, 'utf8');
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error(`${file} holds no PKCS#8 private key ("BEGIN PRIVATE KEY")`);
  return blocks.map((pem) => createPrivateKey(pem));
}

const base64urlJson = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const toPem = (keys: KeyObject[]) => keys.map((k) => k.export({ type: 'pkcs8', format: 'pem' }).toString()).join('');

export class KeyStore {
  private active = new Map<SigningAlg, SigningKey>();
  private jwksJson = '{"keys":[]}';

  private constructor(
    private readonly file: string,
    private readonly published: SigningKeyStore,
    private readonly clock: () => number,
  ) {}

  /** Load the key file (creating it and any missing algorithm on first boot) and sync the published keys. */
  static async open(file: string, published: SigningKeyStore, clock: () => number): Promise<KeyStore> {
    const store = new KeyStore(file, published, clock);
    await store.load();
    // Another node's rotation publishes its new keys here too, so tokens it signs verify with any node's JWKS.
    published.watch(() => void store.refreshJwks().catch(() => {}));
    return store;
  }

  /** Rebuild the JWKS from the keys published now. */
  private async refreshJwks(): Promise<void> {
    const keys = await this.published.published(this.clock());
    this.jwksJson = JSON.stringify({ keys: keys.map((key) => key.publicJwk) });
  }

  /** Re-read the key file and table (after `masks keys rotate` in another process; SIGHUP). */
  async load(): Promise<void> {
    const keys = existsSync(this.file) ? readKeyFile(this.file) : [];
    const byAlg = new Map<SigningAlg, KeyObject>();
    for (const key of keys) {
      const alg = algOf(key);
      if (alg && !byAlg.has(alg)) byAlg.set(alg, key);
    }
    const missing = SIGNING_ALGS.filter((alg) => !byAlg.has(alg));
    for (const alg of missing) byAlg.set(alg, generate(alg));
    if (missing.length > 0) writePrivateFile(this.file, toPem([...keys, ...missing.map((alg) => byAlg.get(alg)!)]));

    const active = new Map<SigningAlg, SigningKey>();
    for (const [alg, privateKey] of byAlg) {
      active.set(alg, await signingKey(privateKey, alg));
    }
    await this.publish(active, 0);
    this.active = active;
  }

  /** Record the active keys (any other key still active is retired, published for `publishFor` seconds) and rebuild the JWKS. */
  private async publish(active: Map<SigningAlg, SigningKey>, publishFor: number) {
    const now = this.clock();
    await this.published.activate([...active.values()].map(({ kid, alg, publicJwk }) => ({ kid, alg, publicJwk })), now, now + publishFor);
    await this.refreshJwks();
  }

  /**
   * Make new active keys; the old ones stay published for `publishFor` seconds (the longest
   * lifetime of anything they signed). Returns the new key ids.
   */
  async rotate(publishFor: number): Promise<SigningKey[]> {
    const fresh = new Map<SigningAlg, SigningKey>();
    for (const alg of SIGNING_ALGS) {
      fresh.set(alg, await signingKey(generate(alg), alg));
    }
    writePrivateFile(this.file, toPem([...fresh.values()].map((k) => k.privateKey)));
    await this.publish(fresh, publishFor);
    this.active = fresh;
    return [...fresh.values()];
  }

  /** The active key for an algorithm. */
  key(alg: SigningAlg): SigningKey {
    return this.active.get(alg)!;
  }

  /** The JWKS document, serialised once. */
  jwks(): string {
    return this.jwksJson;
  }

  /**
   * Sign a JWT with the active key of `alg` (JWS compact serialisation, RFC 7515 section 7.1;
   * ES256 signatures as R || S, RFC 7518 section 3.4). Node's own signing costs a third less
   * than WebCrypto's round trip through the thread pool, for a few lines.
   */
  sign(payload: JWTPayload, alg: SigningAlg, typ?: string): Promise<string> {
    const key = this.key(alg);
    const input = `${base64urlJson({ alg, kid: key.kid, ...(typ ? { typ } : {}) })}.${base64urlJson(payload)}`;
    const signer = alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' as const } : key.privateKey;
    return Promise.resolve(`${input}.${signBytes('sha256', Buffer.from(input), signer).toString('base64url')}`);
  }
}
