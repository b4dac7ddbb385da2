/**
 * Fake powershell.exe for tests: records what it is given, so a test can see every process start, every stdin
 * line and each decoded event. Writes JSON lines to $AGENTCERT_FAKE_POWERSHELL_LOG:
 *   {pid, kind: 'start', argv}            once per process
 *   {pid, kind: 'line', line}             each stdin line (with `-Command -`)
 *   {pid, kind: 'event', event}           each event of a `W @(...)` batch line, base64 JSON decoded
 *   {pid, kind: 'encoded', script}        the script of `-EncodedCommand` (UTF-16LE base64, as powershell takes it)
 * AGENTCERT_FAKE_POWERSHELL_EXIT sets the exit code of an -EncodedCommand run; AGENTCERT_FAKE_POWERSHELL_DIE_AFTER
 * makes the stdin host exit after that many lines (to test the writer's restart).
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const logFile = process.env['AGENTCERT_FAKE_POWERSHELL_LOG'];
const record = (o: Record<string, unknown>): void => {
  if (logFile) appendFileSync(logFile, `${JSON.stringify({ pid: process.pid, ...o })}\n`);
};

const argv = process.argv.slice(2);
record({ kind: 'start', argv });
const lower = argv.map((a) => a.toLowerCase());
const encodedAt = lower.indexOf('-encodedcommand');
if (encodedAt >= 0) {
  record({ kind: 'encoded', script: Buffer.from(argv[encodedAt + 1] ?? '', 'base64').toString('utf16le') });
  process.exit(Number(process.env['AGENTCERT_FAKE_POWERSHELL_EXIT'] ?? 0));
}
const commandAt = lower.indexOf('-command');
if (commandAt < 0 || argv[commandAt + 1] !== '-') {
  process.stderr.write('fake powershell: only -Command - and -EncodedCommand are implemented\n');
  process.exit(2);
}
const dieAfter = Number(process.env['AGENTCERT_FAKE_POWERSHELL_DIE_AFTER'] ?? Infinity);
let lines = 0;
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  record({ kind: 'line', line });
  const batch = /^W @\((.*)\)$/.exec(line);
  if (batch) {
    for (const item of batch[1]!.split(',')) {
      const b64 = item.trim().replace(/^'|'$/g, '');
      record({ kind: 'event', event: JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as unknown });
    }
  }
  if (++lines >= dieAfter) process.exit(3);
});
rl.on('close', () => process.exit(0));
