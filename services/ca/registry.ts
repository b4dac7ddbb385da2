/**
 * Every CA backend, by the name `ca.backend` takes: its settings schema, defaults and factory. Adding a backend
 * is one folder under services/ca/ (exporting an entry made with defineCaBackend) and one line here;
 * config/ builds the `ca` section of the configuration from these entries.
 */
import type { Static } from '@sinclair/typebox';
import { adcsBackend } from './adcs/index.js';
import { builtinBackend } from './builtin/index.js';

export const CA_BACKENDS = {
  builtin: builtinBackend,
  adcs: adcsBackend,
};

export type CaKind = keyof typeof CA_BACKENDS;
export type CaSettingsSchemas = { [K in CaKind]: (typeof CA_BACKENDS)[K]['settings'] };
export type CaSettings = { [K in CaKind]: Static<CaSettingsSchemas[K]> };

export const CA_KINDS = Object.keys(CA_BACKENDS) as CaKind[];
