/**
 * `agentcert serve` on a share whose own folders lead elsewhere (README "Trust model"): it refuses to start with
 * AC_SHARE_UNSAFE and exit code 2, and reads or writes nothing there.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath } from '../helpers/paths.js';
import { makeTempEnv } from '../helpers/temp.js';

const env = makeTempEnv('agentcert-unsafe-');
afterAll(() => env.cleanup());

function serveOnce(config: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, 'serve', '--once', '--config', config], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0, stdout, stderr });
    });
  });
}

describe('start-up on a share with linked folders', () => {
  it('refuses requests/ as a symbolic link with AC_SHARE_UNSAFE, exit 2, and leaves the link target alone', async () => {
    const config = path.join(env.dir, 'config.json');
    writeFileSync(config, JSON.stringify({ share: { root: env.share }, data: { dir: env.data }, api: { enabled: false }, packaging: { buildExe: false }, ca: { builtin: { keyBits: 2048 } } }));
    mkdirSync(path.join(env.share, 'requests'), { recursive: true });
    const outside = path.join(env.dir, 'outside');
    renameSync(path.join(env.share, 'requests'), outside);
    writeFileSync(path.join(outside, 'web01.contoso.local.req'), 'not read');
    symlinkSync(outside, path.join(env.share, 'requests'));
    const r = await serveOnce(config);
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).toContain('AC_SHARE_UNSAFE');
    expect(`${r.stdout}${r.stderr}`).toContain('requests/');
    expect(readdirSync(outside)).toEqual(['web01.contoso.local.req']);
  }, 90_000);
});
