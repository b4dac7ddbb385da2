/**
 * A run that survives the death of the service: the child's output goes to a file (not a pipe) in a journal
 * folder, the child runs in its own process group, and its pid, deadline and exit code are written beside the
 * output. If the service is killed while `certreq -submit` runs, the CA may still take the request; after the
 * restart `recoverJournaled` waits for that orphaned certreq (killing it at its deadline) and returns what it
 * printed, so the RequestId is found instead of the request being submitted a second time.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunResult } from '../domain/index.js';
import { decodeOutput } from './output-text.js';

const files = (dir: string) => ({ out: path.join(dir, 'output.txt'), pid: path.join(dir, 'pid.json'), exit: path.join(dir, 'exit.json') });

function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/** Whether a process exists (signal 0 checks without sending; EPERM means it exists under another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function resultFrom(dir: string, exitCode: number | null, timedOut: boolean, durationMs: number): RunResult {
  const out = existsSync(files(dir).out) ? decodeOutput(readFileSync(files(dir).out)) : '';
  return { exitCode, stdout: out, stderr: '', timedOut, spawnError: null, durationMs };
}

export async function runJournaled(file: string, args: readonly string[], o: { timeoutMs: number; journalDir: string; env?: Record<string, string> }): Promise<RunResult> {
  const dir = o.journalDir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const f = files(dir);
  const fd = openSync(f.out, 'w');
  const started = Date.now();
  let child;
  try {
    child = spawn(file, [...args], { stdio: ['ignore', fd, fd], detached: true, windowsHide: true, shell: false, ...(o.env ? { env: { ...process.env, ...o.env } } : {}) });
  } finally {
    closeSync(fd);
  }
  const spawnFailed = await new Promise<string | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', (err: NodeJS.ErrnoException) => resolve(`${err.code ?? 'ERROR'}: ${file} could not be started (${err.message})`));
  });
  if (spawnFailed) {
    rmSync(dir, { recursive: true, force: true });
    return { exitCode: null, stdout: '', stderr: '', timedOut: false, spawnError: spawnFailed, durationMs: Date.now() - started };
  }
  writeAtomic(f.pid, JSON.stringify({ pid: child.pid, startedAt: started, deadline: started + o.timeoutMs }));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, o.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  writeAtomic(f.exit, JSON.stringify({ exitCode, timedOut }));
  return resultFrom(dir, exitCode, timedOut, Date.now() - started);
}

/**
 * What an earlier journaled run printed, waiting for it (up to its deadline) if it still runs; null when no run
 * was journaled there.
 */
export async function recoverJournaled(journalDir: string): Promise<RunResult | null> {
  const f = files(journalDir);
  if (!existsSync(journalDir)) return null;
  if (existsSync(f.exit)) {
    const { exitCode, timedOut } = JSON.parse(readFileSync(f.exit, 'utf8')) as { exitCode: number | null; timedOut: boolean };
    return resultFrom(journalDir, exitCode, timedOut, 0);
  }
  if (!existsSync(f.pid)) return existsSync(f.out) ? resultFrom(journalDir, null, false, 0) : null;
  const { pid, deadline } = JSON.parse(readFileSync(f.pid, 'utf8')) as { pid: number; deadline: number };
  let timedOut = false;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) {
      timedOut = true;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return resultFrom(journalDir, null, timedOut, 0);
}
