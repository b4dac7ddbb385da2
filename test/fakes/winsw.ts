/**
 * Fake WinSW for tests. The test writes a two-line shell script as `winsw.exe` that runs this file with its own
 * path first (`exec node …/winsw.js "$0" "$@"`), and the plan copies that script where the real wrapper goes, as
 * `<id>-service.exe`. Like WinSW 1.17 it reads the XML of its own base name
 * beside it, keeps the service's state (here in `<base>.fake-state.json`), prints what WinSW prints for the
 * verbs (Started / Stopped / NonExistent for status), and records each call as a JSON line in
 * $AGENTCERT_FAKE_WINSW_LOG: {argv, xml}.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

const self = process.argv[2]!;
const base = self.replace(/\.exe$/i, '');
const xmlFile = `${base}.xml`;
const stateFile = `${base}.fake-state.json`;
const verb = process.argv[3] ?? '';
const xml = existsSync(xmlFile) ? readFileSync(xmlFile, 'utf8') : null;
const log = process.env['AGENTCERT_FAKE_WINSW_LOG'];
if (log) appendFileSync(log, `${JSON.stringify({ argv: process.argv.slice(3), xml })}\n`);
const state = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { installed: boolean; running: boolean }) : { installed: false, running: false };
const id = /<id>([^<]*)<\/id>/.exec(xml ?? '')?.[1] ?? '?';
const save = (): void => writeFileSync(stateFile, JSON.stringify(state));
const say = (s: string): void => void process.stdout.write(`${s}\r\n`);

if (!xml) {
  say(`Unable to locate ${xmlFile}`);
  process.exit(1);
}
switch (verb) {
  case 'install':
    if (state.installed) {
      say(`Installation failure: Service with id '${id}' already exists`);
      process.exit(1);
    }
    state.installed = true;
    save();
    say(`Installing the service with id '${id}'`);
    break;
  case 'uninstall':
    if (!state.installed) {
      say(`Warning! The service with id '${id}' does not exist. Nothing to uninstall`);
      break;
    }
    if (state.running) {
      say(`Failed to uninstall the service with id '${id}': it is running`);
      process.exit(1);
    }
    state.installed = false;
    save();
    break;
  case 'start':
    if (!state.installed) process.exit(1);
    state.running = true;
    save();
    break;
  case 'stop':
    if (!state.running) process.exit(1);
    state.running = false;
    save();
    break;
  case 'status':
    say(!state.installed ? 'NonExistent' : state.running ? 'Started' : 'Stopped');
    break;
  default:
    say(`Unknown command: ${verb}`);
    process.exit(1);
}
