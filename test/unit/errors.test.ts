import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../services/domain/index.js';
import { repoRoot } from '../helpers/paths.js';

// The fastify errors test shape: the code list and the documentation stay in step, both ways.
describe('error registry', () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const documented = [...readme.matchAll(/^\| `(AC_[A-Z_]+)` \| (\d+) \| (\d+) \|/gm)].map((m) => ({ code: m[1]!, exit: Number(m[2]), status: Number(m[3]) }));

  it('documents every code in README.md with its exit code and HTTP status', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = documented.find((d) => d.code === code);
      expect(row, `${code} missing from README.md`).toBeDefined();
      expect(row!.exit).toBe(spec.exitCode);
      expect(row!.status).toBe(spec.status);
    }
  });

  it('documents no code that does not exist', () => {
    for (const d of documented) expect(Object.keys(ERRORS)).toContain(d.code);
  });

  it('uses only the exit codes of the contract and gives every code a remediation', () => {
    for (const spec of Object.values(ERRORS)) {
      expect([1, 2, 3, 4, 5]).toContain(spec.exitCode);
      expect(spec.remediation.length).toBeGreaterThan(20);
    }
  });
});
