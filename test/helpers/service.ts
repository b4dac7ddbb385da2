/** Run the real CLI as a child process (e2e tests). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cliPath } from './paths.js';

export interface RunningService {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, AGENTCERT_API_PORT: '0', AGENTCERT_LOG_LEVEL: 'info', ...extra };
}

export function startService(args: string[], env: NodeJS.ProcessEnv = cliEnv()): RunningService {
  const proc = spawn(process.execPath, [cliPath, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    async waitForOutput(re, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (proc.exitCode !== null) throw new Error(`service exited (${proc.exitCode}) before printing ${re}:\n${out}\n${err}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}:\n${out}\n${err.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = cliEnv()): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function waitFor<T>(fn: () => T | null | undefined | false, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
