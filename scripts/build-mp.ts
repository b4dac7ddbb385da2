/**
 * `npm run build:mp`: writes management-pack/agentcert.Monitoring.xml and the README's generated tables from the
 * event registry (services/domain/event-ids.ts) and the MP builder (services/management-pack/).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildManagementPack, MP_FILE } from '../services/management-pack/build.js';
import { withGeneratedTables } from '../services/management-pack/readme.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '../..') : path.resolve(here, '..');
const mp = buildManagementPack();
mkdirSync(path.join(root, path.dirname(MP_FILE)), { recursive: true });
writeFileSync(path.join(root, MP_FILE), mp.xml);
const readmeFile = path.join(root, 'README.md');
writeFileSync(readmeFile, withGeneratedTables(readFileSync(readmeFile, 'utf8'), mp.parts));
process.stdout.write(`wrote ${MP_FILE} (version ${mp.version}, ${mp.xml.length} characters) and the README's generated tables\n`);
