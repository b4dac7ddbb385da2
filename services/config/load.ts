/**
 * Loading the configuration: embedded defaults ← config file (JSON or YAML) ← AGENTCERT_* variables ← flags.
 * Validated once; every problem is reported with its path (the fastify initial-config-validation shape), and
 * the result is frozen.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import YAML from 'yaml';
import { AgentcertError } from '../domain/index.js';
import { describeSchemaError, originOf, recordOrigins, type Origins } from './problems.js';
import { ConfigSchema, DEFAULT_CONFIG, type Config } from './schema.js';
import { caSettingsProblems } from '../ca/index.js';
import { redactUrl } from './store-url.js';

export interface ConfigFlags {
  share?: string;
  data?: string;
  /** From `serve --port`: checked here like any other value, so a bad one names the flag. */
  port?: number | string;
  host?: string;
}

/** The flag that sets each key (README "CLI"). */
const FLAG_KEYS: Record<keyof ConfigFlags, string> = { share: 'share.root', data: 'data.dir', port: 'api.port', host: 'api.host' };

export interface LoadConfigOptions {
  file?: string | null;
  env?: Record<string, string | undefined>;
  flags?: ConfigFlags;
  cwd?: string;
}

/** The variables the service reads, each mapped to its config key (documented in README.md). */
export const ENV_KEYS: Record<string, { path: string; type: 'string' | 'int' | 'bool' }> = {
  AGENTCERT_SHARE: { path: 'share.root', type: 'string' },
  AGENTCERT_SHARE_POLLING: { path: 'share.polling', type: 'bool' },
  AGENTCERT_DATA: { path: 'data.dir', type: 'string' },
  AGENTCERT_STORE_URL: { path: 'store.url', type: 'string' },
  AGENTCERT_STORE_PASSWORD: { path: 'store.password', type: 'string' },
  AGENTCERT_API_HOST: { path: 'api.host', type: 'string' },
  AGENTCERT_API_PORT: { path: 'api.port', type: 'int' },
  AGENTCERT_CA_BACKEND: { path: 'ca.backend', type: 'string' },
  AGENTCERT_CA_PASSPHRASE: { path: 'ca.builtin.passphrase', type: 'string' },
  AGENTCERT_CA_TWO_TIER: { path: 'ca.builtin.twoTier', type: 'bool' },
  AGENTCERT_ADCS_CONFIG: { path: 'ca.adcs.config', type: 'string' },
  AGENTCERT_LOG_LEVEL: { path: 'log.level', type: 'string' },
  AGENTCERT_PIPELINE_CONCURRENCY: { path: 'pipeline.concurrency', type: 'int' },
  AGENTCERT_EVENT_LOG: { path: 'eventLog.enabled', type: 'bool' },
};

type Tree = Record<string, unknown>;

function isPlainObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(base[k]) ? deepMerge(base[k] as Tree, v) : v;
  }
  return out;
}

function setPath(tree: Tree, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = tree;
  for (const k of keys.slice(0, -1)) {
    if (!isPlainObject(node[k])) node[k] = {};
    node = node[k] as Tree;
  }
  node[keys[keys.length - 1]!] = value;
}

function readConfigFile(file: string, problems: string[]): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${file}: cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return {};
  }
  try {
    const parsed: unknown = file.toLowerCase().endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
    if (parsed == null) return {};
    if (!isPlainObject(parsed)) {
      problems.push(`${file}: the config file must hold an object at the top level`);
      return {};
    }
    return resolvePaths(parsed, path.dirname(path.resolve(file)));
  } catch (err) {
    problems.push(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
    return {};
  }
}

/** Paths written in a config file are relative to that file, not to wherever the service was started. */
function resolvePaths(tree: Tree, dir: string): Tree {
  const out = structuredClone(tree);
  const share = out['share'];
  if (isPlainObject(share) && typeof share['root'] === 'string') share['root'] = path.resolve(dir, share['root']);
  const data = out['data'];
  if (isPlainObject(data) && typeof data['dir'] === 'string') data['dir'] = path.resolve(dir, data['dir']);
  const store = out['store'];
  for (const key of ['passwordFile', 'caFile']) {
    if (isPlainObject(store) && typeof store[key] === 'string') store[key] = path.resolve(dir, store[key]);
  }
  return out;
}

function envOverrides(env: Record<string, string | undefined>, problems: string[]): Tree {
  const tree: Tree = {};
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (spec.type === 'int') {
      if (!/^\d+$/.test(raw)) problems.push(`${spec.path}: "${raw}" is not a whole number (from ${name})`);
      else setPath(tree, spec.path, Number(raw));
    } else if (spec.type === 'bool') {
      const v = raw.toLowerCase();
      if (!['1', '0', 'true', 'false', 'yes', 'no'].includes(v)) problems.push(`${spec.path}: "${raw}" is not allowed (from ${name}); allowed: true, false, yes, no, 1 or 0`);
      else setPath(tree, spec.path, ['1', 'true', 'yes'].includes(v));
    } else setPath(tree, spec.path, raw);
  }
  return tree;
}

function flagOverrides(flags: ConfigFlags, problems: string[]): Tree {
  const tree: Tree = {};
  for (const [flag, key] of Object.entries(FLAG_KEYS) as [keyof ConfigFlags, string][]) {
    const v = flags[flag];
    if (v === undefined) continue;
    if (flag === 'port' && !/^\d+$/.test(String(v))) problems.push(`${key}: "${v}" is not a whole number (from --port)`);
    else setPath(tree, key, flag === 'port' ? Number(v) : v);
  }
  return tree;
}

/** A server written as `{fqdn}` gets SCOM's port 5723, kind management-server, reachable and weight 1. */
export const SERVER_DEFAULTS = { port: 5723, kind: 'management-server', reachable: true, weight: 1 } as const;

function fillServerDefaults(tree: Tree): void {
  const mg = tree['managementGroup'];
  if (!isPlainObject(mg) || !Array.isArray(mg['servers'])) return;
  mg['servers'] = mg['servers'].map((s: unknown) => (isPlainObject(s) ? { ...SERVER_DEFAULTS, ...s } : s));
}

function managementGroupProblems(c: Config): string[] {
  const mg = c.managementGroup;
  const problems: string[] = [];
  const tenants = new Set([c.policy.defaultTenant.name, ...c.policy.tenants.map((t) => t.name)].map((n) => n.toLowerCase()));
  const seen = new Set<string>();
  mg.servers.forEach((s, i) => {
    if (seen.has(s.fqdn)) problems.push(`managementGroup.servers.${i}.fqdn: "${s.fqdn}" is listed twice`);
    seen.add(s.fqdn);
    for (const t of s.tenants ?? []) {
      if (!tenants.has(t.toLowerCase())) problems.push(`managementGroup.servers.${i}.tenants: "${t}" is not a tenant (policy.defaultTenant or policy.tenants)`);
    }
  });
  if (mg.servers.length > 0 && mg.name === null) problems.push('managementGroup.name: servers are listed but the management group has no name');
  if (mg.name !== null && !mg.servers.some((s) => s.reachable)) problems.push('managementGroup.servers: no server is reachable, so no agent can be given a primary');
  return problems;
}

/** Checks the schema cannot express. */
function semanticProblems(c: Config, origins: Origins): string[] {
  const problems: string[] = [];
  problems.push(...caSettingsProblems(c.ca));
  if (c.pipeline.retryMaxMs < c.pipeline.retryBaseMs) problems.push(`pipeline.retryMaxMs: ${c.pipeline.retryMaxMs} (${originOf(origins, 'pipeline.retryMaxMs')}) must not be smaller than pipeline.retryBaseMs (${c.pipeline.retryBaseMs})`);
  const seenNames = new Set<string>([c.policy.defaultTenant.name.toLowerCase()]);
  const seenFolders = new Set<string>();
  c.policy.tenants.forEach((t, i) => {
    const folder = (t.folder ?? t.name).toLowerCase();
    if (seenNames.has(t.name.toLowerCase())) problems.push(`policy.tenants.${i}.name: "${t.name}" is used twice`);
    if (seenFolders.has(folder)) problems.push(`policy.tenants.${i}.folder: "${folder}" is used by two tenants`);
    seenNames.add(t.name.toLowerCase());
    seenFolders.add(folder);
  });
  const tenantNames = [c.policy.defaultTenant.name, ...c.policy.tenants.map((t) => t.name)];
  c.api.tokens.forEach((t, i) =>
    t.tenants?.forEach((name, j) => {
      if (!tenantNames.includes(name)) problems.push(`api.tokens.${i}.tenants.${j}: "${name}" is not a tenant (tenants: ${tenantNames.join(', ')})`);
    }),
  );
  problems.push(...managementGroupProblems(c));
  return problems;
}

export function loadConfig(o: LoadConfigOptions = {}): Readonly<Config> {
  const env = o.env ?? {};
  const cwd = o.cwd ?? process.cwd();
  const problems: string[] = [];
  const file = o.file ?? env['AGENTCERT_CONFIG'] ?? null;
  let tree = structuredClone(DEFAULT_CONFIG) as unknown as Tree;
  const origins: Origins = new Map();
  if (file) {
    const resolved = path.resolve(cwd, file);
    const fromFile = readConfigFile(resolved, problems);
    recordOrigins(origins, fromFile, (key) => `from ${resolved}, key ${key}`);
    tree = deepMerge(tree, fromFile);
  }
  const fromEnv = envOverrides(env, problems);
  for (const [name, spec] of Object.entries(ENV_KEYS)) if (env[name]) origins.set(spec.path, `from ${name}`);
  tree = deepMerge(tree, fromEnv);
  const flags = o.flags ?? {};
  tree = deepMerge(tree, flagOverrides(flags, problems));
  for (const f of Object.keys(FLAG_KEYS) as (keyof ConfigFlags)[]) if (flags[f] !== undefined) origins.set(FLAG_KEYS[f], `from --${f}`);
  fillServerDefaults(tree);
  for (const e of Value.Errors(ConfigSchema, tree)) {
    // store.url may carry a password: never echoed.
    const shown = e.path === '/store/url' && typeof e.value === 'string' ? { ...e, value: redactUrl(e.value) } : e;
    problems.push(describeSchemaError(shown, origins));
  }
  if (problems.length === 0) problems.push(...semanticProblems(tree as unknown as Config, origins));
  if (problems.length > 0) {
    throw new AgentcertError('AC_CONFIG_INVALID', `The configuration has ${problems.length} problem(s)`, problems);
  }
  const config = tree as unknown as Config;
  config.share.root = path.resolve(cwd, config.share.root);
  config.data.dir = path.resolve(cwd, config.data.dir);
  if (config.store.passwordFile) config.store.passwordFile = path.resolve(cwd, config.store.passwordFile);
  if (config.store.caFile) config.store.caFile = path.resolve(cwd, config.store.caFile);
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
