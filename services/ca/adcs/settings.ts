/** `ca.adcs`: the standalone AD CS CA driven with certreq/certutil (README "Windows deployment"). */
import { Type, type Static } from '@sinclair/typebox';

export const AdcsSettingsSchema = Type.Object(
  {
    /** `HOST\CA Name`, as certreq -config takes it. */
    config: Type.String(),
    certreqPath: Type.String({ minLength: 1 }),
    certutilPath: Type.String({ minLength: 1 }),
    timeoutMs: Type.Integer({ minimum: 1000 }),
    /** How often a request the CA keeps pending is asked about again. */
    pendingPollMs: Type.Integer({ minimum: 1000 }),
    /**
     * The CA issues a request at submit (policy module RequestDisposition 1) instead of keeping it pending:
     * agentcert cannot amend it, so it rejects before submitting what would come out wrong (README "Names in a
     * certificate").
     */
    issuesAtSubmit: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type AdcsSettings = Static<typeof AdcsSettingsSchema>;

export const ADCS_DEFAULTS: AdcsSettings = {
  config: '',
  certreqPath: 'certreq.exe',
  certutilPath: 'certutil.exe',
  timeoutMs: 60_000,
  pendingPollMs: 300_000,
  issuesAtSubmit: false,
};

/** certreq/certutil take the CA as `HOST\CA Name`; anything else would make them open a CA picker dialog. */
export function validateAdcsSettings(s: AdcsSettings): string[] {
  return /^[^\\]+\\.+$/.test(s.config) ? [] : ['ca.adcs.config: with ca.backend "adcs" this must be the CA as certreq -config takes it, "HOST\\CA Name"'];
}
