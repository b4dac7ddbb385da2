import { describe, expect, it } from 'vitest';
import { fqdnFromFileName, isIgnoredName, isRequestName, safeFileStem } from '../../services/intake/index.js';
import { nameMatches } from '../../services/rules/index.js';
import { backoffDelayMs } from '../../services/domain/index.js';

describe('share names', () => {
  it('takes the FQDN from <FQDN>.req in any case', () => {
    expect(fqdnFromFileName('WEB01.Contoso.Local.REQ')).toBe('web01.contoso.local');
    expect(fqdnFromFileName('pop-diag-test.hagland.domain.req')).toBe('pop-diag-test.hagland.domain');
  });
  it('refuses names that are not a DNS name', () => {
    for (const n of ['web 01.req', '..req', '../etc.req', 'CON.req.txt', '-bad.contoso.local.req', 'a..b.req', 'x_y.contoso.req', 'wëb.req']) expect(fqdnFromFileName(n)).toBeNull();
  });
  it('ignores Windows and Office litter', () => {
    for (const n of ['Thumbs.db', 'desktop.ini', '~$web01.req', '.tmp-x.req']) expect(isIgnoredName(n) || !isRequestName(n)).toBe(true);
    expect(isRequestName('web01.contoso.local.Req')).toBe(true);
  });
  it('makes safe file stems for messages about bad names, including reserved Windows names', () => {
    expect(safeFileStem('CON.req')).toBe('_CON');
    expect(safeFileStem('../../etc/passwd.req')).not.toContain('/');
    expect(safeFileStem('my server.req')).toBe('my_server');
  });
});

describe('tenant name patterns', () => {
  it('matches exact names and *.domain below the domain only', () => {
    expect(nameMatches('*.contoso.local', 'web01.contoso.local')).toBe(true);
    expect(nameMatches('*.contoso.local', 'a.b.contoso.local')).toBe(true);
    expect(nameMatches('*.contoso.local', 'contoso.local')).toBe(false);
    expect(nameMatches('*.contoso.local', 'web01.fabrikam.local')).toBe(false);
    expect(nameMatches('*.contoso.local', 'evilcontoso.local')).toBe(false);
    expect(nameMatches('MS01.Contoso.Local', 'ms01.contoso.local')).toBe(true);
    expect(nameMatches('*', 'anything.example')).toBe(true);
  });
});

describe('retry backoff', () => {
  it('grows exponentially with jitter and stays under the cap', () => {
    expect(backoffDelayMs(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelayMs(3, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelayMs(20, 1000, 60_000, () => 1)).toBe(60_000);
  });
});
