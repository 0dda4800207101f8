/** Renders masks.example.yml from the schema: every key, its default and its description. */
import type { TSchema } from '@sinclair/typebox';
import YAML from 'yaml';
import { ConfigSchema } from './schema.js';

const HEADER = `# masks.example.yml: every setting with its default and what it does.
# Copy what you change to masks.yml (or point MASKS_YML at a file). Every key can also be
# set with an environment variable: MASKS_ + the key path joined by "_", upper-cased,
# e.g. MASKS_URL, MASKS_PASSWORDS_MIN_CHARS, MASKS_CLIENTS_ACCESS_TOKEN_EXPIRES_IN.
# Precedence: environment > masks.yml > these defaults.
# Durations are human strings: "30s", "15m", "10 minutes", "6 hours", "1 day", "1 month", "1 year".
`;

const SEEDS_EXAMPLE = `  # Example:
  # clients:
  #   - id: my-app                 # the client_id
  #     name: My App
  #     client_type: confidential  # internal | confidential | public
  #     secret: "at least 32 characters, e.g. from: openssl rand -base64 32"
  #     redirect_uris: [https://app.example.com/callback]
  #     checks: [device, credentials]
  #     scopes: { allowed: [openid, profile, email, api], required: [] }
  #     # any clients.* key above may be set here too
  # actors:
  #   - nickname: alice
  #     email: alice@example.com
  #     password: "..."
  #     scopes: [masks:manage]
`;

function render(schema: TSchema, indent: string, lines: string[]) {
  for (const [key, child] of Object.entries(schema.properties as Record<string, TSchema>)) {
    if (child.description) lines.push(`${indent}# ${child.description}`);
    if (child.type === 'object' && child.properties) {
      lines.push(`${indent}${key}:`);
      render(child, `${indent}  `, lines);
      if (key === 'seeds') lines.push(SEEDS_EXAMPLE.trimEnd());
    } else {
      const value = child.default === null ? '' : ` ${YAML.stringify(child.default, { collectionStyle: 'flow', lineWidth: 0 }).trim()}`;
      lines.push(`${indent}${key}:${value}`);
    }
  }
}

export function renderExampleConfig(): string {
  const lines: string[] = [];
  render(ConfigSchema, '', lines);
  return `${HEADER}\n${lines.join('\n')}\n`;
}
