/**
 * A long-lived child process fed through stdin (the Event Log writer's PowerShell host): the one place besides
 * execa-runner.ts that spawns, so the rules stay in services/process — argv with no shell, windowsHide, and the
 * child never outlives a stop (SIGKILL after a grace period).
 */
import { spawn } from 'node:child_process';

export interface LongLivedChild {
  readonly pid: number | undefined;
  /** False once the child has exited or could not be started. */
  alive(): boolean;
  /** Write text to its stdin; false when it is gone. */
  write(text: string): boolean;
  /** Close stdin and wait for the exit; SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

export interface LongLivedOptions {
  onStderr?: (text: string) => void;
  onExit?: (code: number | null, error: string | null) => void;
}

export function startLongLived(file: string, args: readonly string[], o: LongLivedOptions = {}): LongLivedChild {
  const child = spawn(file, [...args], { shell: false, windowsHide: true, stdio: ['pipe', 'ignore', 'pipe'] });
  let alive = true;
  const exited = new Promise<void>((resolve) => {
    const done = (code: number | null, error: string | null): void => {
      if (!alive) return;
      alive = false;
      o.onExit?.(code, error);
      resolve();
    };
    child.once('error', (err: NodeJS.ErrnoException) => done(null, `${err.code ?? 'ERROR'}: ${file} could not be started (${err.message})`));
    child.once('exit', (code) => done(code, null));
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => o.onStderr?.(s));
  child.stdin?.on('error', () => undefined); // EPIPE when the child died: reported through 'exit'
  return {
    get pid() {
      return child.pid;
    },
    alive: () => alive,
    write(text: string): boolean {
      if (!alive || !child.stdin || child.stdin.destroyed) return false;
      child.stdin.write(text);
      return true;
    },
    async stop(graceMs: number): Promise<void> {
      if (!alive) return;
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
