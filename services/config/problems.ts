/**
 * Config problems a person can act on: each names the key, where its value came from (config file and key,
 * AGENTCERT_* variable, flag or default), what is allowed there, and for an unknown key the nearest known one
 * (README "Configuration").
 */
import type { TSchema } from '@sinclair/typebox';
import type { ValueError } from '@sinclair/typebox/value';

/** Where each value came from, by dotted key ("ca.backend" → "AGENTCERT_CA_BACKEND"). */
export type Origins = Map<string, string>;

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Records `describe(key)` as the origin of every leaf of `tree` (a list counts as one leaf). */
export function recordOrigins(origins: Origins, tree: Tree, describe: (key: string) => string, prefix = ''): void {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isTree(v) && Object.keys(v).length > 0) recordOrigins(origins, v, describe, key);
    else origins.set(key, describe(key));
  }
}

/**
 * The origin of a key, else of a value below it (an unknown section), else of the nearest enclosing key that has
 * one (policy.tenants.0.name → policy.tenants).
 */
export function originOf(origins: Origins, key: string): string {
  const below = [...origins.keys()].find((k) => k.startsWith(`${key}.`));
  if (!origins.has(key) && below) return origins.get(below)!.replace(`key ${below}`, `key ${key}`);
  for (let k = key; k; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const o = origins.get(k);
    if (o) return o;
  }
  return 'the default';
}

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? JSON.stringify(v).slice(0, 60) : String(v));

/** What a schema accepts, in words: `"builtin" or "adcs"`, `a whole number from 100 to 65535`, `true or false`. */
export function describeAllowed(schema: TSchema): string {
  const s = schema as Record<string, unknown> & TSchema;
  if (Array.isArray(s['anyOf'])) {
    const parts = (s['anyOf'] as TSchema[]).map((a) => ('const' in a ? show(a['const']) : a['type'] === 'null' ? 'null' : describeAllowed(a)));
    return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}` : (parts[0] ?? 'see the README');
  }
  if ('const' in s) return show(s['const']);
  const min = s['minimum'] as number | undefined;
  const max = s['maximum'] as number | undefined;
  const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : '';
  switch (s['type']) {
    case 'integer':
      return `a whole number${range}`;
    case 'number':
      return `a number${range}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return `${(s['minLength'] as number | undefined) ? 'non-empty text' : 'text'}${s['pattern'] ? ` matching ${s['pattern'] as string}` : ''}`;
    case 'array':
      return `a list${(s['minItems'] as number | undefined) ? ` of at least ${s['minItems'] as number} item(s)` : ''}`;
    case 'object':
      return `an object with the keys ${Object.keys((s['properties'] as Tree | undefined) ?? {}).join(', ')}`;
    default:
      return 'see the README';
  }
}

/** Levenshtein distance, small inputs only (config keys). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The known key closest to `name`, when it is close enough to be a typo (at most 2 edits, or a third of its length). */
export function nearestKey(name: string, known: string[]): string | null {
  let best: { key: string; d: number } | null = null;
  for (const key of known) {
    const d = editDistance(name.toLowerCase(), key.toLowerCase());
    if (!best || d < best.d) best = { key, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.key : null;
}

/** One schema error as a line: key, found value, origin, what is allowed (or did-you-mean for an unknown key). */
export function describeSchemaError(e: ValueError, origins: Origins): string {
  const key = e.path.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
  const from = originOf(origins, key);
  const parent = e.schema as Record<string, unknown>;
  if (e.message === 'Unexpected property' && isTree(parent['properties'])) {
    const name = key.slice(key.lastIndexOf('.') + 1);
    const known = Object.keys(parent['properties']);
    const near = nearestKey(name, known);
    return `${key}: unknown key (${from})${near ? `; did you mean "${key.slice(0, key.length - name.length)}${near}"?` : ''} Known keys here: ${known.join(', ')}`;
  }
  if (e.value === undefined) return `${key}: missing (${from}); allowed: ${describeAllowed(e.schema)}`;
  return `${key}: ${show(e.value)} is not allowed (${from}); allowed: ${describeAllowed(e.schema)}`;
}
