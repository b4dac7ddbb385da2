import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quotePowerShell, renderInstallScript, SCRIPT_PLACEHOLDER, type Manifest } from '../../services/packaging/index.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';

const template = readFileSync(path.resolve(import.meta.dirname, '../../installers/install-certificate.ps1'), 'utf8');

/** Undo quotePowerShell the way PowerShell reads a single-quoted literal: every doubled quote is one quote. */
function readLiteral(src: string, key: string): string | null {
  const m = new RegExp(`\\b${key} = (\\$null|'((?:[^'\\u2018\\u2019\\u201A\\u201B]|['\\u2018\\u2019\\u201A\\u201B]{2})*)')`).exec(src);
  if (!m) throw new Error(`${key} not rendered`);
  return m[1] === '$null' ? null : m[2]!.replace(/(['\u2018\u2019\u201A\u201B])\1/g, '$1');
}

function manifestWith(values: { fqdn: string; subject: string; resultsPath: string | null; caSubject: string; file: string }): Manifest {
  return {
    schemaVersion: 1,
    fqdn: values.fqdn,
    role: 'management-server',
    certificate: {
      file: values.file,
      serialNumber: '0080AB',
      serialNumberReversed: 'AB8000',
      thumbprint: '0123456789ABCDEF0123456789ABCDEF01234567',
      sha256: 'AA'.repeat(32),
      notBefore: '2025-01-01T00:00:00.000Z',
      notAfter: '2027-01-01T00:00:00.000Z',
      subject: values.subject,
      issuer: values.caSubject,
    },
    chain: [
      { file: 'ca-x.cer', store: 'CA', thumbprint: 'BB'.repeat(20), subject: values.caSubject },
      { file: 'root-y.cer', store: 'Root', thumbprint: 'CC'.repeat(20), subject: `CN=Root ${values.caSubject}` },
    ],
    files: [],
    requestFingerprint: 'f'.repeat(64),
    requestId: 'ffffffffffff',
    issuedAt: '2025-01-01T00:00:00.000Z',
    issuer: 'builtin',
    resultsPath: values.resultsPath,
    renewal: { dueAt: null, requestsPath: null, issuedPath: null },
    managementGroup: null,
  };
}

/**
 * How powershell.exe (a .NET program: CommandLineToArgvW rules) splits the arguments Task Scheduler gives it:
 * whitespace separates outside quotes; 2n backslashes before a quote are n and the quote toggles quoting; 2n+1
 * backslashes before a quote are n and a literal quote; other backslashes are literal.
 */
function splitCommandLine(line: string): string[] {
  const args: string[] = [];
  let cur = '';
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (c === '\\') {
      let n = 0;
      while (line[i] === '\\') { n += 1; i += 1; }
      if (line[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else inQuotes = !inQuotes;
      } else {
        cur += '\\'.repeat(n);
        i -= 1;
      }
      started = true;
    } else if (c === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if ((c === ' ' || c === '\t') && !inQuotes) {
      if (started) args.push(cur);
      cur = '';
      started = false;
    } else {
      cur += c;
      started = true;
    }
  }
  if (started) args.push(cur);
  return args;
}

describe('quotePowerShell', () => {
  it('doubles every single quote, typographic ones included, and nothing else', () => {
    expect(quotePowerShell("o'brien")).toBe("'o''brien'");
    expect(quotePowerShell('a\u2019b')).toBe("'a\u2019\u2019b'");
    expect(quotePowerShell('$env:x "y" `z')).toBe('\'$env:x "y" `z\'');
    expect(() => quotePowerShell('a\0b')).toThrow(/NUL/);
  });

  it('renders any string into a literal that parses and reads back unchanged', async () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', "'", '\u2019', '\u2018', '"', '$', '`', '\\', '{', '}', '#', '\u00e9', '\u4e2d', '\n', ';', '(', '@') });
    await fc.assert(
      fc.asyncProperty(text, async (v) => {
        const src = `$x = ${quotePowerShell(v)}\nWrite-Output $x\n`;
        expect((await parsePowerShell(src)).errors).toEqual([]);
        expect(readLiteral(src.replace('$x = ', 'Value = '), 'Value')).toBe(v);
      }),
      { numRuns: 300 },
    );
  });
});

describe('renderInstallScript', () => {
  const awkward = [
    { fqdn: 'srv01.contoso.com', subject: 'CN=srv01.contoso.com', resultsPath: '\\\\files\\agentcert\\results\\srv01.contoso.com.json', caSubject: 'CN=Contoso Issuing CA', file: 'srv01.contoso.com.cer' },
    { fqdn: "o'brien host.contoso.com", subject: "CN=o'brien host, O=\"Quoted, Inc\"", resultsPath: "\\\\files\\share with space\\o'neil's results\\x.json", caSubject: "CN=CA 'with' \u2018curly\u2019 quotes", file: "o'brien host.cer" },
    { fqdn: 'm\u00fcnchen-\u00e9t\u00e9.example', subject: 'CN=m\u00fcnchen, O=\u4e2d\u6587', resultsPath: 'C:\\ProgramData\\r\u00e9sultats $(Remove-Item C:\\) `whoami`\\r.json', caSubject: 'CN=$env:COMPUTERNAME #not a comment', file: 'x.cer' },
    { fqdn: 'null-results.example', subject: 'CN=a', resultsPath: null, caSubject: 'CN=b', file: 'a.cer' },
  ];
  for (const values of awkward) {
    it(`pins ${JSON.stringify(values.fqdn)} with its subject, results path and CA subjects, and still parses`, async () => {
      const m = manifestWith(values);
      const script = renderInstallScript(template, m);
      expect((await parsePowerShell(script)).errors).toEqual([]);
      expect(readLiteral(script, 'Fqdn')).toBe(m.fqdn);
      expect(readLiteral(script, 'Role')).toBe('management-server');
      expect(readLiteral(script, 'Subject')).toBe(m.certificate.subject);
      expect(readLiteral(script, 'CertificateFile')).toBe(m.certificate.file);
      expect(readLiteral(script, 'Thumbprint')).toBe(m.certificate.thumbprint);
      expect(readLiteral(script, 'SerialNumber')).toBe('0080AB');
      expect(readLiteral(script, 'SerialNumberReversed')).toBe('AB8000');
      expect(readLiteral(script, 'ResultsPath')).toBe(m.resultsPath);
      const chainLines = script.split('\r\n').filter((l) => l.trimStart().startsWith('@{ File = '));
      expect(chainLines).toHaveLength(2);
      chainLines.forEach((line, i) => {
        expect(readLiteral(line, 'File')).toBe(m.chain[i]!.file);
        expect(readLiteral(line, 'Store')).toBe(m.chain[i]!.store);
        expect(readLiteral(line, 'Thumbprint')).toBe(m.chain[i]!.thumbprint);
        expect(readLiteral(line, 'Subject')).toBe(m.chain[i]!.subject);
      });
      // Nothing outside the rendered block changed.
      const outside = (s: string): string => s.replace(/\r\n/g, '\n').replace(/#region rendered[\s\S]*#endregion rendered/, '');
      expect(outside(script)).toBe(outside(template));
    });
  }

  it('renders the renewal task name and arguments; with any install path they give powershell.exe exactly -File <path>', async () => {
    const m = manifestWith(awkward[0]!);
    const script = renderInstallScript(template, m);
    expect(readLiteral(script, 'RenewalTaskName')).toBe('agentcert renewal srv01.contoso.com');
    const args = readLiteral(script, 'RenewalTaskArguments')!;
    expect(args).toContain(SCRIPT_PLACEHOLDER);
    // What install-certificate.ps1 does with it: $arguments.Replace('{{SCRIPT}}', $renewScript).
    expect(template).toContain("Arguments = $arguments.Replace('{{SCRIPT}}', $renewScript)");
    const flags = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File'];
    for (const dir of ['C:\\ProgramData', 'D:\\Program Data', "E:\\data  two spaces\\o'neil & co (x86)", 'C:\\Donn\u00e9es\\\u4e2d\u6587']) {
      const renew = `${dir}\\agentcert\\srv01.contoso.com\\renew-certificate.ps1`;
      expect(splitCommandLine(args.replace(SCRIPT_PLACEHOLDER, renew))).toEqual([...flags, renew]);
    }
    // Any path Windows allows (no ", never ending in \ since it ends in the script name) stays one argument.
    const segment = fc.string({ unit: fc.constantFrom('a', ' ', "'", '&', '(', ')', '\u00e9', '^', '!', ';', ','), minLength: 1 });
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), (parts) => {
        const renew = `C:\\${parts.join('\\')}\\renew-certificate.ps1`;
        expect(splitCommandLine(args.replace(SCRIPT_PLACEHOLDER, renew))).toEqual([...flags, renew]);
      }),
      { numRuns: 300 },
    );
    // The template's own default (no rendered block) is the same.
    expect(template).toContain(`$arguments = ${quotePowerShell(args)}`);
    expect(template).toContain("$name = 'agentcert renewal ' + $m.fqdn");
  });

  it('refuses a template without the rendered block', () => {
    expect(() => renderInstallScript('Write-Host 1', manifestWith(awkward[0]!))).toThrow(/rendered/);
  });
});
