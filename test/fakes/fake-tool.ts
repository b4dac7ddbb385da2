/**
 * What both fake tools share: printing (CRLF like the real tools), the scenario switches that apply before a
 * verb runs (hang, RPC unavailable, malformed), and the invocation log.
 */
import { appendLog, readScenario, takeRpcFailure, withLock, type FakeLogEntry, type FakeScenario, type FakeVerb } from './fake-ca-state.js';
import { MALFORMED, render } from './fake-ca-text.js';

export interface Invocation {
  dir: string;
  tool: 'certreq' | 'certutil';
  argv: string[];
  scenario: FakeScenario;
}

export function startInvocation(dir: string, tool: 'certreq' | 'certutil', argv: string[]): Invocation {
  return { dir, tool, argv, scenario: readScenario(dir) };
}

/** Print, log and exit. `exitCode` follows certutil's low-word convention (17 for 0x80090011, docs/scom-facts.md §6). */
export function finish(inv: Invocation, lines: string[], entry: Omit<FakeLogEntry, 'tool' | 'argv'>, exitCode = 0): never {
  appendLog(inv.dir, { tool: inv.tool, argv: inv.argv, ...entry, verb: entry.verb ? entry.verb.replace(/^-/, '').toLowerCase() : null });
  process.stdout.write(render(lines, inv.scenario.lineEnding));
  process.exit(exitCode);
}

/** Scenario switches checked before a verb touches any state. Returns only when the verb should run normally. */
export function applyFaults(inv: Invocation, verb: FakeVerb, requestId: string | null, rpcLines: () => string[]): void {
  if (inv.scenario.hang?.includes(verb) || Math.random() < (inv.scenario.hangRate ?? 0)) hangForever(inv, verb, requestId);
  if (Math.random() < (inv.scenario.rpcUnavailableRate ?? 0) || withLock(inv.dir, () => takeRpcFailure(inv.dir))) {
    finish(inv, rpcLines(), { verb, requestId, outcome: 'rpc-unavailable' }, 1722);
  }
  if (inv.scenario.malformed?.includes(verb)) {
    finish(inv, MALFORMED, { verb, requestId, outcome: 'malformed' }, 0);
  }
}

/** Log the hang and unwind into an endless wait (the process ends only when the caller kills it). */
export function hangForever(inv: Invocation, verb: FakeVerb, requestId: string | null): never {
  appendLog(inv.dir, { tool: inv.tool, argv: inv.argv, verb, requestId, outcome: 'hang' });
  // A hung certreq ignores SIGTERM (docs/scom-facts.md §6); only SIGKILL at the caller's timeout ends it.
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
  setInterval(() => undefined, 60_000);
  throw new HangSignal();
}

/** Thrown to unwind the entry point into an endless wait without running the verb. */
export class HangSignal extends Error {}

/** Run an entry point: a HangSignal leaves the process waiting forever; anything else unexpected is a fake bug. */
export function runTool(main: () => void): void {
  try {
    main();
  } catch (err) {
    if (err instanceof HangSignal) return; // the interval keeps the process alive until killed
    process.stderr.write(`fake CA internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(99);
  }
}
