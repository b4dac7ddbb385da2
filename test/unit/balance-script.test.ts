/**
 * balance-agents.ps1, the SCOM admin's script: rendered with the stored assignment (hostile names stay in their
 * literals), the module or the 2007 R2 snap-in, and the order of Set-SCOMParentManagementServer calls.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderBalanceScript } from '../../services/packaging/index.js';
import type { Assignment } from '../../services/rules/index.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';

const template = readFileSync(path.resolve(import.meta.dirname, '../../installers/balance-agents.ps1'), 'utf8');
const fn = (name: string): string => {
  const start = template.indexOf(`function ${name}`);
  expect(start, name).toBeGreaterThanOrEqual(0);
  return template.slice(start, template.indexOf('\n}', start));
};

/** Every single-quoted literal of a line, read back as PowerShell does. */
const literals = (line: string): string[] => [...line.matchAll(/'((?:[^'\u2018\u2019\u201A\u201B]|['\u2018\u2019\u201A\u201B]{2})*)'/g)].map((m) => m[1]!.replace(/(['\u2018\u2019\u201A\u201B])\1/g, '$1'));

describe('balance-agents.ps1 rendered', () => {
  const hostile = fc.string({ unit: fc.constantFrom('a', '.', "'", '\u2019', '"', '$', '(', ')', '`', '#', ';', '@', '{', '}', ' ', '\n', '\u00e9'), minLength: 1, maxLength: 20 });
  it('keeps every agent, server and group name inside its literal, and parses with no ERROR node', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, fc.array(fc.tuple(hostile, hostile, fc.array(hostile, { maxLength: 3 })), { minLength: 1, maxLength: 4 }), async (group, rows) => {
        const assignments: Assignment[] = rows.map(([agent, primary, failovers]) => ({ agent, tenant: 'default', primary, failovers }));
        const script = renderBalanceScript(template, { managementGroup: group, generatedAt: '2026-12-02T00:00:00.000Z', assignments });
        expect((await parsePowerShell(script)).errors).toEqual([]);
        const block = script.slice(script.indexOf('$Balance = @{'), script.indexOf('#endregion rendered'));
        const lines = block.split('\r\n');
        expect(literals(lines.find((l) => l.startsWith('    ManagementGroup = '))!)).toEqual([group]);
        // One entry per agent; each entry's literals are its agent, its primary and its failovers, in order.
        const entries = block.slice(block.indexOf('Agents = @(') + 'Agents = @('.length, block.lastIndexOf(')\r\n}'));
        const found = [...entries.matchAll(/@\{ Agent = ((?:'(?:[^']|'')*'|[^;])*); Primary = ((?:'(?:[^']|'')*')); Failovers = @\(((?:'(?:[^']|'')*'|, )*)\) \}/g)];
        expect(found.map((m) => [literals(m[1]!)[0], literals(m[2]!)[0], literals(m[3]!)])).toEqual(assignments.map((a) => [a.agent, a.primary, a.failovers]));
      }),
      { numRuns: 150 },
    );
  });

  it('outside the rendered block, the script is the template', () => {
    const script = renderBalanceScript(template, { managementGroup: 'MG', generatedAt: 'now', assignments: [] });
    const outside = (s: string) => s.replace(/\r\n/g, '\n').replace(/#region rendered[\s\S]*#endregion rendered/, '');
    expect(outside(script)).toBe(outside(template));
  });
});

describe('balance-agents.ps1 in the management group', () => {
  it('loads the OperationsManager module, and says so clearly when only the 2007 R2 snap-in exists, using Set-ManagementServer then', () => {
    const load = fn('Import-ScomShell');
    expect(load.indexOf("Get-Module -ListAvailable -Name 'OperationsManager'")).toBeLessThan(load.indexOf('Microsoft.EnterpriseManagement.OperationsManager.Client'));
    expect(load).toMatch(/Write-Warning \('Only the Operations Manager 2007 R2 snap-in .* using Set-ManagementServer, which sets primary and failover in one call\.'\)/);
    const set = fn('Set-AgentParents');
    expect(set).toContain("if ($Shell -eq 'snapin') {");
    expect(set).toContain('Set-ManagementServer -AgentManagedComputer $agent -PrimaryManagementServer $inventory.Servers[$wantPrimary] -FailoverServer $failover');
    expect(template).toMatch(/Neither the OperationsManager module .* nor the 2007 R2 snap-in is installed/);
  });

  it('changes only agents that differ, under ShouldProcess (-WhatIf), and sums up moved, unchanged and not found', () => {
    const set = fn('Set-AgentParents');
    expect(set).toContain("if (-not $agent) { return 'not-found' }");
    expect(set).toContain("if ($steps.Count -eq 0) { return 'unchanged' }");
    expect(set.indexOf('$PSCmdlet.ShouldProcess(')).toBeLessThan(set.indexOf('Set-ManagementServer'));
    expect(set.indexOf('$PSCmdlet.ShouldProcess(')).toBeLessThan(set.indexOf('Invoke-ParentChange'));
    expect(template).toContain('[CmdletBinding(SupportsShouldProcess = $true)]');
    expect(template).toMatch(/'Summary' \+ \$verb \+ ': moved ' \+ \$counts\['moved'\] \+ ', failovers changed '[\s\S]*', unchanged '[\s\S]*', not found in the management group '/);
    // Primary and failovers in separate calls (2012 and later).
    const change = fn('Invoke-ParentChange');
    expect(change).toContain('Set-SCOMParentManagementServer -Agent $Agent -PrimaryServer $Servers[$Step.Primary]');
    expect(change).toContain('Set-SCOMParentManagementServer -Agent $Agent -FailoverServer $null');
    expect(change).toContain('Set-SCOMParentManagementServer -Agent $Agent -FailoverServer $failover');
  });

  /**
   * A model of Get-ParentChangePlan, statement by statement (the test below pins the script's text to it), run on
   * every current/target pair: no call may ever leave the agent's primary among its failovers.
   */
  function plan(currentPrimary: string, currentFailovers: string[], primary: string, failovers: string[]): ({ primary: string } | { failovers: string[] })[] {
    const steps: ({ primary: string } | { failovers: string[] })[] = [];
    let have = [...currentFailovers];
    if (currentPrimary !== primary) {
      if (have.includes(primary)) {
        const interim = failovers.filter((f) => f !== currentPrimary);
        steps.push({ failovers: interim });
        have = interim;
      }
      steps.push({ primary });
    }
    if ([...have].sort().join(',') !== [...failovers].sort().join(',')) steps.push({ failovers: [...failovers] });
    return steps;
  }

  it('orders the calls so that an agent\'s primary is never one of its failovers, and ends at the assignment', () => {
    const text = fn('Get-ParentChangePlan');
    for (const line of [
      '$have = @($CurrentFailovers)',
      'if ($CurrentPrimary -ne $Primary) {',
      'if ($have -contains $Primary) {',
      '$interim = @($Failovers | Where-Object { $_ -ne $CurrentPrimary })',
      '[void]$steps.Add(@{ Failovers = $interim })',
      '$have = $interim',
      '[void]$steps.Add(@{ Primary = $Primary })',
      "if ((@($have | Sort-Object) -join ',') -ne (@($Failovers | Sort-Object) -join ',')) { [void]$steps.Add(@{ Failovers = @($Failovers) }) }",
    ]) expect(text, line).toContain(line);
    const servers = ['ms1', 'ms2', 'ms3', 'gw1'];
    const parents = fc.shuffledSubarray(servers, { minLength: 1 }).map(([p, ...f]) => ({ primary: p!, failovers: f }));
    fc.assert(
      fc.property(parents, parents, (now, want) => {
        let primary = now.primary;
        let failovers = [...now.failovers];
        for (const step of plan(now.primary, now.failovers, want.primary, want.failovers)) {
          if ('primary' in step) primary = step.primary;
          else failovers = step.failovers;
          expect(failovers, JSON.stringify({ now, want })).not.toContain(primary);
        }
        expect(primary).toBe(want.primary);
        expect([...failovers].sort()).toEqual([...want.failovers].sort());
        if (now.primary === want.primary && [...now.failovers].sort().join() === [...want.failovers].sort().join()) expect(plan(now.primary, now.failovers, want.primary, want.failovers)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
