/** Writes masks.example.yml from the config schema: `node dist/scripts/example-config.js`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderExampleConfig } from '../src/config/example.js';
import { PACKAGE_ROOT } from '../src/paths.js';

writeFileSync(path.join(PACKAGE_ROOT, 'masks.example.yml'), renderExampleConfig());
