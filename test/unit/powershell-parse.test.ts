import { describe, expect, it } from 'vitest';
import { parsePowerShell } from '../helpers/powershell-parse.js';

describe('parsePowerShell (tree-sitter-powershell)', () => {
  it('accepts a well-formed script', async () => {
    const { errors } = await parsePowerShell("param([string]$A = 'it''s')\nif ($A) { Write-Host \"hi $A\" }\n");
    expect(errors).toEqual([]);
  });

  it('reports an unbalanced brace and an unterminated string with their position', async () => {
    const { errors } = await parsePowerShell("$x = 1\nif ($x) { Write-Host 'open\n");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.row).toBeGreaterThanOrEqual(0);
  });

  it('reports a single quote that was not doubled inside a single-quoted string', async () => {
    const ok = await parsePowerShell("$n = 'o''brien'\n");
    const bad = await parsePowerShell("$n = 'o'brien'\n");
    expect(ok.errors).toEqual([]);
    expect(bad.errors.length).toBeGreaterThan(0);
  });
});
