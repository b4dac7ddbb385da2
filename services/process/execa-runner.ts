/**
 * The one place in agentcert that spawns processes (docs/architecture.md "House rules" 1).
 *
 * certreq/certutil can hang (a second `certreq -retrieve` left a hung process; `certutil -installcert` blocked on
 * a hidden prompt — docs/scom-facts.md §6) or open dialogs when a file argument is missing (§6, §8.8). So every run is an
 * argv array with no shell, stdin closed, a hard timeout that kills with SIGKILL (a hung certreq ignores a polite
 * SIGTERM), and windowsHide. Failures are data in RunResult, never exceptions: the CA backend decides what a
 * non-zero exit, a timeout or a missing executable means.
 */
import { execa } from 'execa';
import type { RunOptions, RunResult, Runner } from '../domain/index.js';
import { decodeOutput } from './output-text.js';
import { recoverJournaled, runJournaled } from './journaled-run.js';

/** Tool output is a few KB; a runaway process must not eat the service's memory. */
const MAX_BUFFER_BYTES = 16 * 1024 * 1024;

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return new Uint8Array();
}

function describeSpawnError(code: string | undefined, file: string, message: string | undefined): string | null {
  if (code === 'ENOENT') return `ENOENT: ${file} was not found (check the configured path)`;
  if (code === 'EACCES' || code === 'EPERM') return `${code}: ${file} could not be executed (permissions)`;
  if (code && /^E[A-Z]+$/.test(code)) return `${code}: ${message ?? `${file} could not be started`}`;
  return null;
}

export function createExecaRunner(): Runner {
  return {
    runJournaled: (file, args, options) => runJournaled(file, args, { timeoutMs: options.timeoutMs, journalDir: options.journalDir, ...(options.env ? { env: options.env } : {}) }),
    recoverJournaled: (dir) => recoverJournaled(dir),
    async run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
      const started = performance.now();
      const result = await execa(file, [...args], {
        reject: false,
        shell: false,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        windowsHide: true,
        stripFinalNewline: false,
        encoding: 'buffer',
        stdin: 'ignore',
        maxBuffer: MAX_BUFFER_BYTES,
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.env ? { env: options.env } : {}),
      });
      const durationMs = Math.round(performance.now() - started);
      // A process that never started has no exit code; execa reports the errno code (ENOENT, EACCES).
      const spawnError = result.exitCode === undefined && !result.timedOut && !result.isTerminated
        ? describeSpawnError(result.code, file, result.originalMessage) ?? `${file} could not be started: ${result.originalMessage ?? 'unknown error'}`
        : null;
      return {
        exitCode: result.exitCode ?? null,
        stdout: decodeOutput(toBytes(result.stdout)),
        stderr: decodeOutput(toBytes(result.stderr)),
        timedOut: result.timedOut,
        spawnError,
        durationMs,
      };
    },
  };
}
