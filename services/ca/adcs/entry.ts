/** The standalone AD CS CA as the registry sees it (ca/registry.ts). */
import path from 'node:path';
import { defineCaBackend } from '../backend-entry.js';
import { createAdcsBackend } from './adcs-backend.js';
import { ADCS_DEFAULTS, AdcsSettingsSchema, validateAdcsSettings } from './settings.js';

export const adcsBackend = defineCaBackend({
  title: 'a standalone AD CS CA, driven with certreq.exe and certutil.exe',
  settings: AdcsSettingsSchema,
  defaults: ADCS_DEFAULTS,
  validate: validateAdcsSettings,
  issuesAsRequested: (s) => s.issuesAtSubmit,
  async create(s, common, deps) {
    return createAdcsBackend({
      config: s.config,
      certreqPath: s.certreqPath,
      certutilPath: s.certutilPath,
      timeoutMs: s.timeoutMs,
      pendingPollMs: s.pendingPollMs,
      issuesAtSubmit: s.issuesAtSubmit,
      workDir: path.join(common.dataDir, 'adcs'),
      runner: deps.runner,
      log: deps.log,
      clock: deps.clock,
    });
  },
});
