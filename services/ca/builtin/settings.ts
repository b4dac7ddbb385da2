/** `ca.builtin`: the built-in CA's settings (README "Configuration"). */
import { Type, type Static } from '@sinclair/typebox';

export const BuiltinSettingsSchema = Type.Object(
  {
    twoTier: Type.Boolean(),
    keyBits: Type.Union([Type.Literal(2048), Type.Literal(3072), Type.Literal(4096)]),
    rootCommonName: Type.String({ minLength: 1 }),
    issuingCommonName: Type.String({ minLength: 1 }),
    organization: Type.String(),
    rootValidityYears: Type.Integer({ minimum: 1, maximum: 50 }),
    issuingValidityYears: Type.Integer({ minimum: 1, maximum: 50 }),
    /** Encrypts the CA keys at rest (also AGENTCERT_CA_PASSPHRASE). */
    passphrase: Type.Union([Type.String({ minLength: 8 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type BuiltinSettings = Static<typeof BuiltinSettingsSchema>;

export const BUILTIN_DEFAULTS: BuiltinSettings = {
  twoTier: false,
  keyBits: 3072,
  rootCommonName: 'agentcert Root CA',
  issuingCommonName: 'agentcert Issuing CA',
  organization: 'agentcert',
  rootValidityYears: 20,
  issuingValidityYears: 10,
  passphrase: null,
};
