/**
 * A Runner for tests: node:child_process execFile, argv array, no shell (the real one is services/process).
 */
import { execFile } from 'node:child_process';
import type { RunOptions, RunResult, Runner } from '../../services/domain/index.js';

export const childRunner: Runner = {
  run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve) => {
      execFile(
        file,
        [...args],
        { timeout: options.timeoutMs, cwd: options.cwd, env: options.env ? { ...process.env, ...options.env } : process.env, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: unknown }) | null;
          const spawnError = e && typeof e.code === 'string' && (e.code === 'ENOENT' || e.code === 'EACCES') ? `${e.code}: ${e.message}` : null;
          const exitCode = spawnError ? null : e ? (typeof e.code === 'number' ? e.code : null) : 0;
          resolve({
            exitCode,
            stdout: String(stdout),
            stderr: String(stderr),
            timedOut: Boolean(e?.killed),
            spawnError,
            durationMs: Date.now() - started,
          });
        },
      );
    });
  },
};
