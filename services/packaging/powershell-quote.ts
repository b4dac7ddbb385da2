/**
 * The one way a value enters a generated PowerShell script: a single-quoted string literal.
 *
 * In a PowerShell single-quoted string nothing is expanded; the only special character is the quote itself,
 * written twice. PowerShell also treats the typographic quotes U+2018, U+2019, U+201A and U+201B as single quotes
 * (about_Quoting_Rules), so those are doubled too. Line breaks are allowed inside the literal; NUL is not.
 */
import { AgentcertError } from '../domain/index.js';
const SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;

export function quotePowerShell(value: string): string {
  if (value.includes('\0')) throw new AgentcertError('AC_INTERNAL', 'a NUL character cannot be rendered into a PowerShell string');
  return `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
}
