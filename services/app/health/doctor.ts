/**
 * `agentcert doctor`: one line per check — configuration, share, trust (doctor-trust.ts), store, CA, tools, CRL, the service, tokens,
 * optional tools, and the monitors that can be judged without the service. Works whether the service runs or
 * not; it never creates a CA and never takes the data lock.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { caKeys, createBackend } from '../../ca/index.js';
import type { Config } from '../../config/index.js';
import { isAgentcertError, isCrlSigner, type CaBackend, type Clock, type ErrorCode, type Logger, type Runner, type Store } from '../../domain/index.js';
import { ensureShareLayout, SHARE_DIRS } from '../../intake/index.js';
import { agentPaths, agentPathsWarning } from '../../packaging/index.js';
import { CRL_FILE_NAME } from '../../lifecycle/index.js';
import { parseCrl, describeCertificate } from '../../pki/index.js';
import { dataLockHolder, openStore } from '../../store/index.js';
import { adminTokenMode, adminTokenPath } from '../tokens.js';
import { storePath } from '../app.js';
import { createMonitors } from './monitors.js';
import { fail, ok, warn, type DoctorCheck } from './doctor-check.js';
import { trustCheck } from './doctor-trust.js';
import { serviceState } from '../../windows-service/index.js';

export type { CheckStatus, DoctorCheck } from './doctor-check.js';

async function shareCheck(config: Readonly<Config>): Promise<DoctorCheck> {
  try {
    const layout = ensureShareLayout(config.share.root, config.policy.tenants.map((t) => t.folder ?? t.name));
    for (const d of SHARE_DIRS) await access(layout[d], constants.R_OK | constants.W_OK);
    return ok('share', `${layout.root}: ${SHARE_DIRS.join(', ')} readable and writable`);
  } catch (err) {
    return fail('share', `${config.share.root}: ${(err as Error).message}`, 'AC_CONFIG_INVALID');
  }
}

async function caCheck(config: Readonly<Config>, backend: CaBackend | null, backendError: unknown, clock: Clock): Promise<DoctorCheck> {
  if (!backend) {
    const code = isAgentcertError(backendError) ? backendError.code : 'AC_CA_UNAVAILABLE';
    return fail('ca', `${config.ca.backend}: ${(backendError as Error)?.message ?? 'not available'}`, code);
  }
  const p = await backend.ping().catch((err: Error) => ({ ok: false, message: err.message }));
  if (!p.ok) return fail('ca', `${backend.kind}: ${p.message}`, 'AC_CA_UNAVAILABLE');
  const chain = await backend.chain().catch(() => []);
  if (chain[0]) {
    const days = Math.floor((describeCertificate(chain[0]).notAfter.getTime() - clock.now().getTime()) / 86_400_000);
    if (days < 90) return warn('ca', `${p.message}; the issuing CA expires in ${days} days: plan its renewal`);
  }
  return ok('ca', p.message);
}

/** The built-in CA's keys at rest: a plain key, or one encrypted with fewer iterations than today's, is a warning. */
function caKeysCheck(config: Readonly<Config>): DoctorCheck[] {
  const r = caKeys(config.ca, config.data.dir)?.report();
  if (!r) return [];
  return [r.weak ? warn('ca keys', r.summary) : ok('ca keys', r.summary)];
}

async function crlCheck(config: Readonly<Config>, backend: CaBackend | null, clock: Clock): Promise<DoctorCheck> {
  if (backend && !isCrlSigner(backend)) return ok('crl', `the ${backend.kind} CA publishes its own CRL`);
  const file = path.join(config.share.root, 'tools', CRL_FILE_NAME);
  const der = await readFile(file).catch(() => null);
  if (!der) return warn('crl', `${file} not published yet (the service publishes it at start; or run \`agentcert ca crl\`)`);
  try {
    const crl = parseCrl(der);
    const signer = backend ? (await backend.chain())[0] : undefined;
    if (signer && !crl.signatureValidWith(signer)) return fail('crl', `${file}: signature does not verify with the CA certificate`, 'AC_CA_UNAVAILABLE');
    if (crl.nextUpdate && crl.nextUpdate <= clock.now()) return warn('crl', `${file} expired at ${crl.nextUpdate.toISOString()}: run \`agentcert ca crl\``);
    return ok('crl', `${file}: CRL ${crl.crlNumber ?? '?'} with ${crl.entries.length} revoked, next update ${crl.nextUpdate?.toISOString() ?? 'none'}`);
  } catch (err) {
    return fail('crl', `${file} cannot be read: ${(err as Error).message}`, 'AC_CA_UNAVAILABLE');
  }
}

/** Packages report results and renew only when they know how agents reach the share (packaging/agent-paths.ts). */
function agentPathsCheck(config: Readonly<Config>): DoctorCheck {
  const p = agentPaths(config.packaging, config.share.root);
  const problem = agentPathsWarning(p);
  return problem ? warn('agent paths', problem) : ok('agent paths', `agents reach the share at ${p.share} (${p.from}); results go to ${p.results}`);
}

async function toolsCheck(config: Readonly<Config>): Promise<DoctorCheck> {
  const file = path.join(config.share.root, 'tools', 'request-certificate.ps1');
  const found = await access(file).then(() => true, () => false);
  return found ? ok('tools', `${path.dirname(file)} has request-certificate.ps1`) : warn('tools', `${file} is missing: the service publishes it at start`);
}

/** The management group (README "Management group"): reachable servers, and the agent MSI the packages install. */
async function managementGroupCheck(config: Readonly<Config>): Promise<DoctorCheck> {
  const mg = config.managementGroup;
  if (mg.name === null) return ok('management-group', 'not configured: packages carry no management group and install no agent');
  const reachable = mg.servers.filter((s) => s.reachable).length;
  const what = `${mg.name}: ${reachable} of ${mg.servers.length} server(s) reachable by agents`;
  if (!mg.installAgent || mg.agentMsi.path !== null || mg.agentMsi.sharePath === null) return ok('management-group', what);
  const msi = path.join(config.share.root, ...mg.agentMsi.sharePath.split(/[\\/]+/));
  const found = await access(msi).then(() => true, () => false);
  if (!found) return warn('management-group', `${what}; installAgent is on but ${msi} is missing: copy MOMAgent.msi there`);
  if (config.packaging.shareUncPath === null) return warn('management-group', `${what}; installAgent is on but packaging.shareUncPath is not set, so agents cannot reach ${msi}`);
  return ok('management-group', `${what}; agents install from ${msi}`);
}

function serviceAndTokenChecks(config: Readonly<Config>): DoctorCheck[] {
  const pid = dataLockHolder(config.data.dir);
  const service = pid ? ok('service', `agentcert serve (pid ${pid}) serves ${config.data.dir}`) : warn('service', `no agentcert serve runs on ${config.data.dir}; approvals and revocations made now are picked up when it starts`);
  const mode = adminTokenMode(config.data.dir);
  let tokens: DoctorCheck;
  if (config.api.tokens.length > 0) tokens = ok('tokens', `${config.api.tokens.length} API token(s) configured (${config.api.tokens.filter((t) => t.role === 'admin').length} admin)`);
  else if (mode === null) tokens = warn('tokens', `no API token configured; the service creates ${adminTokenPath(config.data.dir)} at its first start`);
  else if (mode & 0o077) tokens = fail('tokens', `${adminTokenPath(config.data.dir)} is readable by others (mode ${mode.toString(8)}); chmod 600 it`, 'AC_CONFIG_INVALID');
  else tokens = ok('tokens', `admin token in ${adminTokenPath(config.data.dir)} (owner-only)`);
  return [service, tokens];
}

async function optionalToolsCheck(config: Readonly<Config>, runner: Runner): Promise<DoctorCheck> {
  if (!config.packaging.buildExe) return ok('makensis', 'packaging.buildExe is off: packages have the zip and scripts only');
  const exe = config.packaging.makensisPath ?? 'makensis';
  const r = await runner.run(exe, ['-VERSION'], { timeoutMs: 15_000 });
  return !r.spawnError && r.exitCode === 0 ? ok('makensis', `${exe} ${r.stdout.trim()}: packages get <FQDN>-install.exe`) : warn('makensis', `${exe} not found: packages have the zip and scripts, no .exe`);
}

/** The Windows service (README "Windows service"): asked of its wrapper on Windows; elsewhere it does not apply. */
export async function windowsServiceCheck(config: Readonly<Config>, runner: Runner, o: { platform?: string; id?: string } = {}): Promise<DoctorCheck> {
  const name = 'windows service';
  const platform = o.platform ?? process.platform;
  if (platform !== 'win32') return ok(name, `not applicable on ${platform} (agentcert service install runs on Windows)`);
  const id = o.id ?? 'agentcert';
  const s = await serviceState(config.data.dir, id, runner);
  if (s.state === 'running') return ok(name, `${id} is running (WinSW: ${s.detail})`);
  if (s.state === 'stopped') return warn(name, `${id} is installed but stopped: \`agentcert service start\``);
  if (s.state === 'not-installed') return warn(name, `${id} is not installed as a service (${s.detail}): \`agentcert --config <file> service install --account <account>\``);
  return warn(name, `${id}: the wrapper did not say (${s.detail})`);
}

export async function runDoctor(config: Readonly<Config>, deps: { clock: Clock; log: Logger; runner: Runner }): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [ok('config', `valid (share ${config.share.root}, data ${config.data.dir}, CA backend ${config.ca.backend})`)];
  checks.push(await shareCheck(config));
  checks.push(await trustCheck(config));
  let store: Store | null = null;
  try {
    store = openStore(config.data.dir, config.store, deps.clock);
    await store.state.heartbeat(deps.clock.now().toISOString(), 'doctor');
    checks.push(ok('store', `${store.location} opens and accepts writes`));
  } catch (err) {
    checks.push(fail('store', `${storePath(config)}: ${(err as Error).message}`, 'AC_INTERNAL'));
  }
  let backend: CaBackend | null = null;
  let backendError: unknown = null;
  try {
    backend = await createBackend(config.ca, config.data.dir, { ...deps, initIfMissing: false });
  } catch (err) {
    backendError = err;
  }
  checks.push(await caCheck(config, backend, backendError, deps.clock));
  checks.push(...caKeysCheck(config));
  checks.push(await crlCheck(config, backend, deps.clock));
  checks.push(await toolsCheck(config), agentPathsCheck(config));
  checks.push(await managementGroupCheck(config));
  checks.push(...serviceAndTokenChecks(config));
  checks.push(await windowsServiceCheck(config, deps.runner));
  checks.push(await optionalToolsCheck(config, deps.runner));
  if (store) {
    try {
      const report = await createMonitors({ config, store, backend, clock: deps.clock, log: deps.log }, () => ({ state: 'healthy', message: '' })).evaluate();
      for (const m of report.monitors.filter((x) => x.id === 'request-waiting' || x.id === 'pipeline-activity' || x.id === 'requests-arriving')) {
        const name = `monitor ${m.eventId}`;
        checks.push(m.state === 'healthy' ? ok(name, `${m.name}: ${m.message}`) : m.state === 'warning' ? warn(name, `${m.name}: ${m.message}`) : fail(name, `${m.name}: ${m.message}`, 'AC_INTERNAL'));
      }
    } finally {
      await store.close();
    }
  }
  return checks;
}
