/** The built-in CA as the registry sees it (ca/registry.ts). */
import { defineCaBackend } from '../backend-entry.js';
import { createBuiltinBackend } from './builtin-backend.js';
import { initBuiltinCa, loadBuiltinCa, loadBuiltinChain, caExists } from './ca-files.js';
import { builtinKeyOperations } from './root-offline.js';
import { BUILTIN_DEFAULTS, BuiltinSettingsSchema } from './settings.js';

export const builtinBackend = defineCaBackend({
  title: 'the built-in CA (node:crypto keys under <data>/ca)',
  settings: BuiltinSettingsSchema,
  defaults: BUILTIN_DEFAULTS,
  async create(settings, common, deps) {
    if (deps.initIfMissing) {
      const { created } = initBuiltinCa(common.dataDir, settings, deps.clock);
      if (created) deps.log.info({ event: 'ca_created', twoTier: settings.twoTier, keyBits: settings.keyBits }, 'built-in CA created');
    }
    const ca = loadBuiltinCa(common.dataDir, settings.passphrase);
    return createBuiltinBackend({ ca, leafValidityDays: common.leafValidityDays, crlDistributionPoint: common.crlDistributionPoint, clock: deps.clock });
  },
  localChain: (_settings, common) => (caExists(common.dataDir) ? loadBuiltinChain(common.dataDir) : null),
  initialize: (settings, common, clock) => initBuiltinCa(common.dataDir, settings, clock),
  keys: (settings, common) => (caExists(common.dataDir) ? builtinKeyOperations(common.dataDir, settings.passphrase) : null),
});
