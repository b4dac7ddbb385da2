import { describe, expect, it } from 'vitest';
import { createExecaRunner, decodeOutput, looksLikeUtf16le } from '../../services/process/index.js';

const node = process.execPath;
const runner = createExecaRunner();

describe('createExecaRunner', () => {
  it('returns stdout, stderr and the exit code without a shell and keeps the final newline', async () => {
    const r = await runner.run(node, ['-e', 'process.stdout.write("a b\\n"); process.stderr.write("err"); process.exit(3)'], { timeoutMs: 10_000 });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'a b\n', stderr: 'err', timedOut: false, spawnError: null });
  });

  it('passes arguments verbatim (no shell expansion of quotes, $ or spaces)', async () => {
    const args = ['HOST\\CA Name', '$HOME', '"q"', '@file; rm -rf /'];
    const r = await runner.run(node, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...args], { timeoutMs: 10_000 });
    expect(JSON.parse(r.stdout)).toEqual(args);
  });

  it('kills a hung process at the timeout and says so', async () => {
    const r = await runner.run(node, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { timeoutMs: 400 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.spawnError).toBeNull();
    expect(r.durationMs).toBeLessThan(5_000);
  });

  it('reports a missing executable as a spawn error, not an exception', async () => {
    const r = await runner.run('/nonexistent/certreq.exe', ['-ping'], { timeoutMs: 5_000 });
    expect(r.spawnError).toMatch(/ENOENT/);
    expect(r.exitCode).toBeNull();
    expect(r.timedOut).toBe(false);
  });

  it('decodes UTF-16LE output (certutil -unicode) and passes env and cwd', async () => {
    const script = 'process.stdout.write(Buffer.concat([Buffer.from([0xff,0xfe]), Buffer.from(process.env.X_TEST + " " + process.cwd(), "utf16le")]))';
    const r = await runner.run(node, ['-e', script], { timeoutMs: 10_000, env: { X_TEST: 'Anforderungs-ID: 5' }, cwd: '/' });
    expect(r.stdout).toBe('Anforderungs-ID: 5 /');
  });
});

describe('decodeOutput', () => {
  it('reads UTF-8, UTF-16LE without BOM, and falls back to windows-1252 on invalid UTF-8', () => {
    expect(decodeOutput(Buffer.from('Bei Übermittlung (0)\r\n', 'utf8'))).toBe('Bei Übermittlung (0)\r\n');
    const utf16 = Buffer.from('RequestId: 12\r\n', 'utf16le');
    expect(looksLikeUtf16le(utf16)).toBe(true);
    expect(decodeOutput(utf16)).toBe('RequestId: 12\r\n');
    expect(decodeOutput(Buffer.from([0x42, 0x65, 0x69, 0x20, 0xdc, 0x62]))).toBe('Bei Üb');
    expect(decodeOutput(Buffer.alloc(0))).toBe('');
  });
});
