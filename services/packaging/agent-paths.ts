/**
 * How agents reach the share: the UNC paths written into packages (README "Renewal, install results and expiry").
 * packaging.shareUncPath when set; else share.root itself when the service runs on a UNC path (then agents reach
 * the share the same way); else nothing — a package then reports no install result and installs no renewal
 * task, which the start-up banner and `agentcert doctor` say as a warning.
 */

export interface AgentPaths {
  /** `\\fs01\agentcert`: the renewal task drops requests in requests\ and finds packages in issued\<FQDN>\. */
  share: string | null;
  /** `\\fs01\agentcert\results`: where install results go. */
  results: string | null;
  /** Which setting the share path came from. */
  from: 'packaging.shareUncPath' | 'share.root' | null;
}

const trimEnd = (p: string): string => p.replace(/[\\/]+$/, '');

/** `\\server\share…` or `//server/share…`, with Windows separators. */
export function uncPath(p: string): string | null {
  return /^(\\\\|\/\/)[^\\/]+[\\/][^\\/]+/.test(p) ? trimEnd(p.replace(/\//g, '\\')) : null;
}

export function agentPaths(packaging: { shareUncPath: string | null; resultsUncPath: string | null }, shareRoot: string): AgentPaths {
  const configured = packaging.shareUncPath ? trimEnd(packaging.shareUncPath) : null;
  const derived = configured ? null : uncPath(shareRoot);
  const share = configured ?? derived;
  const results = packaging.resultsUncPath ? trimEnd(packaging.resultsUncPath) : share ? `${share}\\results` : null;
  return { share, results, from: configured ? 'packaging.shareUncPath' : derived ? 'share.root' : null };
}

/** The warning for the banner and doctor, or null when packages report and renew. */
export function agentPathsWarning(p: AgentPaths): string | null {
  if (p.share) return null;
  const what = p.results ? 'no renewal task' : 'no install results path and no renewal task';
  return `packages carry ${what}: set packaging.shareUncPath to how agents reach the share (e.g. \\\\fs01\\agentcert)`;
}
