/**
 * Renders installers/balance-agents.ps1 with the stored assignment (README "Management group"): one block of
 * single-quoted literals, every value through quotePowerShell, between `#region rendered` and its end.
 */
import type { Assignment } from '../rules/assignment.js';
import { quotePowerShell } from './powershell-quote.js';
import { toCrlf } from './render.js';

const BEGIN = '#region rendered';
const END = '#endregion rendered';

export interface BalanceScriptInput {
  managementGroup: string;
  generatedAt: string;
  assignments: readonly Assignment[];
}

export function renderBalanceBlock(b: BalanceScriptInput): string {
  const q = quotePowerShell;
  const agents = b.assignments.map(
    (a) => `        @{ Agent = ${q(a.agent)}; Primary = ${q(a.primary)}; Failovers = @(${a.failovers.map(q).join(', ')}) }`,
  );
  return [
    `${BEGIN} by agentcert: the assignment to apply (${b.assignments.length} agents)`,
    '$Balance = @{',
    `    ManagementGroup = ${q(b.managementGroup)}`,
    `    GeneratedAt = ${q(b.generatedAt)}`,
    '    Agents = @(',
    ...agents,
    '    )',
    '}',
    END,
  ].join('\r\n');
}

export function renderBalanceScript(template: string, b: BalanceScriptInput): string {
  const start = template.indexOf(BEGIN);
  const end = template.indexOf(END, start);
  if (start < 0 || end < 0) throw new Error('balance-agents.ps1 has no "#region rendered" block');
  // CRLF for the template only: a line break inside a rendered value is the value's.
  return toCrlf(template.slice(0, start)) + renderBalanceBlock(b) + toCrlf(template.slice(end + END.length));
}
