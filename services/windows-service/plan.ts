/**
 * `agentcert service install|uninstall|start|stop|status` as plans: the files written and the commands run, in
 * order. The same plan is printed by `--dry-run` (on any system) and executed through the process adapter on
 * Windows, so what is tested by rendering is what runs.
 */
import type { RunResult, Runner } from '../domain/index.js';
import { AgentcertError } from '../domain/index.js';
import { joinLike, renderServiceXml, serviceDir, type ServiceDefinition } from './definition.js';
import { encodeCommand, HOST_SCRIPT_ARGS, installHostScript, uninstallHostScript, type ServiceRegistryValues } from './host-script.js';

export type PlanStep =
  | { kind: 'copy'; from: string; to: string; what: string }
  | { kind: 'write'; file: string; content: string; what: string }
  | { kind: 'remove'; file: string; what: string }
  | { kind: 'run'; file: string; args: string[]; what: string; script?: string; okExitCodes?: number[] };

export interface ServicePaths {
  /** WinSW's executable as shipped (node-windows: bin\winsw\winsw.exe) and its .exe.config. */
  winswSource: string;
  powershellPath: string;
  scPath: string;
}

/** The wrapper is WinSW renamed after the service: WinSW reads the XML of its own base name beside it. */
export function wrapperFiles(dataDir: string, id: string): { exe: string; xml: string; config: string } {
  const dir = serviceDir(dataDir);
  return { exe: joinLike(dir, `${id}-service.exe`), xml: joinLike(dir, `${id}-service.xml`), config: joinLike(dir, `${id}-service.exe.config`) };
}

const run = (file: string, args: string[], what: string, extra: Partial<Extract<PlanStep, { kind: 'run' }>> = {}): PlanStep => ({ kind: 'run', file, args, what, ...extra });

export function installPlan(d: ServiceDefinition, p: ServicePaths, registry: ServiceRegistryValues): PlanStep[] {
  const w = wrapperFiles(d.dataDir, d.id);
  const withPassword = d.account.kind === 'user' && d.account.password !== null;
  const script = installHostScript(registry);
  return [
    { kind: 'copy', from: p.winswSource, to: w.exe, what: 'the service wrapper (WinSW)' },
    { kind: 'copy', from: `${p.winswSource}.config`, to: w.config, what: "the wrapper's .NET runtime settings" },
    { kind: 'write', file: w.xml, content: renderServiceXml(d, { withPassword }), what: 'the service definition' },
    run(w.exe, ['install'], `register the service "${d.id}"`),
    // WinSW 1.17 has no delayedAutoStart; the service control manager's own setting does the same.
    run(p.scPath, ['config', d.id, 'start=', 'delayed-auto'], 'automatic (delayed) start'),
    run(p.powershellPath, [...HOST_SCRIPT_ARGS, encodeCommand(script)], 'the Event Log source and HKLM\\SOFTWARE\\agentcert\\Service', { script }),
    ...(withPassword ? [{ kind: 'write' as const, file: w.xml, content: renderServiceXml(d, { withPassword: false }), what: 'the service definition again, without the password' }] : []),
  ];
}

export function uninstallPlan(d: Pick<ServiceDefinition, 'id' | 'dataDir'>, p: Pick<ServicePaths, 'powershellPath'>): PlanStep[] {
  const w = wrapperFiles(d.dataDir, d.id);
  const script = uninstallHostScript();
  return [
    // Stopping a stopped service fails; uninstall goes on.
    run(w.exe, ['stop'], `stop the service "${d.id}"`, { okExitCodes: [0, 1] }),
    run(w.exe, ['uninstall'], `remove the service "${d.id}"`),
    run(p.powershellPath, [...HOST_SCRIPT_ARGS, encodeCommand(script)], 'remove the Event Log source and HKLM\\SOFTWARE\\agentcert\\Service', { script }),
    { kind: 'remove', file: w.xml, what: 'the service definition' },
    { kind: 'remove', file: w.config, what: "the wrapper's .NET runtime settings" },
    { kind: 'remove', file: w.exe, what: 'the service wrapper' },
  ];
}

export function controlPlan(d: Pick<ServiceDefinition, 'id' | 'dataDir'>, verb: 'start' | 'stop' | 'status'): PlanStep[] {
  const w = wrapperFiles(d.dataDir, d.id);
  return [run(w.exe, [verb], `${verb} the service "${d.id}"`)];
}

/** A Windows command line for the printout (how cmd.exe would take it). */
export function commandLine(file: string, args: readonly string[]): string {
  const q = (a: string) => (a === '' || /[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a);
  return [file, ...args].map(q).join(' ');
}

/** The plan as text: what --dry-run prints. PowerShell steps show their script instead of the base64. */
export function describePlan(steps: PlanStep[]): string {
  const out: string[] = [];
  steps.forEach((s, i) => {
    const n = `${i + 1}.`;
    if (s.kind === 'copy') out.push(`${n} copy ${s.from} → ${s.to}  (${s.what})`);
    else if (s.kind === 'remove') out.push(`${n} delete ${s.file}  (${s.what})`);
    else if (s.kind === 'write') out.push(`${n} write ${s.file}  (${s.what}):`, ...s.content.trimEnd().split(/\r?\n/).map((l) => `     ${l}`));
    else if (s.script) out.push(`${n} ${commandLine(s.file, s.args.slice(0, -1))} <script>  (${s.what}); the script:`, ...s.script.trimEnd().split(/\r?\n/).map((l) => `     ${l}`));
    else out.push(`${n} ${commandLine(s.file, s.args)}  (${s.what})`);
  });
  return `${out.join('\n')}\n`;
}

export interface PlanIo {
  runner: Runner;
  copyFile(from: string, to: string): void;
  writeFile(file: string, content: string): void;
  removeFile(file: string): void;
  say(line: string): void;
}

/** Run the steps in order; the first failing command stops the plan with AC_SERVICE_FAILED and its output. */
export async function executePlan(steps: PlanStep[], io: PlanIo): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const s of steps) {
    if (s.kind === 'copy') io.copyFile(s.from, s.to);
    else if (s.kind === 'write') io.writeFile(s.file, s.content);
    else if (s.kind === 'remove') io.removeFile(s.file);
    if (s.kind !== 'run') {
      io.say(`${s.kind === 'remove' ? 'deleted' : 'wrote'} ${s.kind === 'copy' ? s.to : s.file} (${s.what})`);
      continue;
    }
    const r = await io.runner.run(s.file, s.args, { timeoutMs: 120_000 });
    results.push(r);
    const output = `${r.stdout}${r.stderr}`.trim();
    const ok = !r.spawnError && !r.timedOut && r.exitCode !== null && (s.okExitCodes ?? [0]).includes(r.exitCode);
    io.say(`${ok ? 'ok' : 'FAILED'}: ${s.what}${output ? `\n  ${output.split(/\r?\n/).join('\n  ')}` : ''}`);
    if (!ok) {
      const why = r.spawnError ?? (r.timedOut ? 'timed out' : `exit code ${r.exitCode}`);
      throw new AgentcertError('AC_SERVICE_FAILED', `${s.what}: ${commandLine(s.file, s.script ? s.args.slice(0, -1) : s.args)} failed (${why})`, output ? [output] : []);
    }
  }
  return results;
}
