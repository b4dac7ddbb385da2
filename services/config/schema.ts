/**
 * The configuration schema (TypeBox: one schema gives the TypeScript type and the validator) and the
 * embedded defaults: built-in CA, ./var/share, ./var/data, API on 127.0.0.1.
 */
import { Type, type Static } from '@sinclair/typebox';
import { CA_BACKENDS, CA_KINDS, type CaSettings, type CaSettingsSchemas } from '../ca/registry.js';

/** The settings schema and defaults of every CA backend, from the registry (services/ca/registry.ts). */
const CA_SETTINGS_SCHEMAS = Object.fromEntries(CA_KINDS.map((k) => [k, CA_BACKENDS[k].settings])) as CaSettingsSchemas;
const CA_DEFAULTS = Object.fromEntries(CA_KINDS.map((k) => [k, CA_BACKENDS[k].defaults])) as CaSettings;

/**
 * auto: issue what passes the checks; new-names: hold a name's first certificate (and the first after a
 * keyCompromise / cessationOfOperation revocation) for an admin, issue renewals and re-issues to a known key;
 * manual: hold every request that is not an authenticated renewal (README "Trust model").
 */
const Approval = Type.Union([Type.Literal('auto'), Type.Literal('new-names'), Type.Literal('manual')]);

export const TenantSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
    /** The subfolder of requests/ whose files belong to this tenant (defaults to the name). */
    folder: Type.Optional(Type.String({ minLength: 1, pattern: '^[^/\\\\]+$' })),
    /** DNS name patterns: exact names, or `*.domain` for any name below domain. */
    allowedNames: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    approval: Approval,
    /** The FQDN's short name (first label) may follow the FQDN in the SAN when the request asks for it. */
    allowShortNameAlias: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A DNS name as SCOM knows a management server or gateway (lower-case labels, at least two). */
const SERVER_FQDN = '^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$';

/**
 * A management server or gateway agents may report to. Written without port, kind, reachable or weight, the
 * loader fills in 5723, management-server, true and 1 (load.ts).
 */
export const ManagementServerSchema = Type.Object(
  {
    fqdn: Type.String({ pattern: SERVER_FQDN }),
    /** TCP port agents connect to (SCOM's default is 5723). */
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    kind: Type.Union([Type.Literal('management-server'), Type.Literal('gateway')]),
    /** false: agents never get it as primary or failover (a root management server behind a firewall). */
    reachable: Type.Boolean(),
    /** Its share of the agents, relative to the other servers' weights. */
    weight: Type.Integer({ minimum: 1, maximum: 1000 }),
    /** Only agents of these tenants (policy.tenants names, or the default tenant's) use it; absent: every tenant. */
    tenants: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  },
  { additionalProperties: false },
);

export const ManagementGroupSchema = Type.Object(
  {
    /**
     * The management group's name, or null: no assignment, no agent install. 1 to 50 letters, digits, `_` or
     * `-` (the agent configuration API's rule for a management group name, see README "Management group").
     */
    name: Type.Union([Type.String({ pattern: '^[A-Za-z0-9_-]{1,50}$' }), Type.Null()]),
    servers: Type.Array(ManagementServerSchema),
    agentMsi: Type.Object(
      {
        /** Path of MOMAgent.msi below the share root (`tools/agent/MOMAgent.msi`); with packaging.shareUncPath it becomes the UNC path agents read. */
        sharePath: Type.Union([Type.String({ minLength: 1, pattern: '^[^\\0]+$' }), Type.Null()]),
        /** A path the installer uses as it is (e.g. `C:\\Install\\MOMAgent.msi`), tried before sharePath. */
        path: Type.Union([Type.String({ minLength: 1, pattern: '^[^\\0]+$' }), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    /** true: an agent's package installs the agent when the server has none (as if run with -InstallAgent). */
    installAgent: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    share: Type.Object(
      {
        root: Type.String({ minLength: 1 }),
        /** Poll instead of native events: needed for SMB/UNC shares, where change notifications are unreliable. */
        polling: Type.Boolean(),
        pollIntervalMs: Type.Integer({ minimum: 100 }),
        /** Full scan of requests/ so nothing is missed when an event is lost or the service was down. */
        reconcileIntervalMs: Type.Integer({ minimum: 1000 }),
        /** A file that does not parse yet is looked at again until it has not changed for this long (an SMB copy creates it empty first). */
        stableMs: Type.Integer({ minimum: 0 }),
        /** An unfinished PEM (no END line) is rejected only after it has not changed for this long. */
        incompleteGraceMs: Type.Integer({ minimum: 0 }),
        maxRequestBytes: Type.Integer({ minimum: 1024, maximum: 1048576 }),
      },
      { additionalProperties: false },
    ),
    data: Type.Object({ dir: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    api: Type.Object(
      {
        enabled: Type.Boolean(),
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
        tokens: Type.Array(
          Type.Object(
            {
              name: Type.String({ minLength: 1 }),
              token: Type.String({ minLength: 16 }),
              role: Type.Union([Type.Literal('reader'), Type.Literal('admin')]),
              /** Only these tenants' requests and certificates (README "Security of the admin surface"); absent: all. */
              tenants: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true })),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    ca: Type.Object(
      {
        backend: Type.KeyOf(Type.Object(CA_SETTINGS_SCHEMAS)),
        /** Leaf validity; never past the issuing CA's notAfter. */
        leafValidityDays: Type.Integer({ minimum: 1, maximum: 36500 }),
        /** URL put into issued certificates' CRL distribution point extension (RFC 5280 §4.2.1.13), or null. */
        crlDistributionPoint: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
        /** nextUpdate of the CRL agentcert signs (RFC 5280 §5.1.2.5); it is signed again at half this age. */
        crlValidityHours: Type.Integer({ minimum: 1, maximum: 8760 }),
        // One section per CA backend (`ca.builtin`, `ca.adcs`, …), each declared in its folder under services/ca/.
        ...CA_SETTINGS_SCHEMAS,
      },
      { additionalProperties: false },
    ),
    policy: Type.Object(
      {
        minKeyBits: Type.Integer({ minimum: 1024, maximum: 16384 }),
        defaultTenant: TenantSchema,
        tenants: Type.Array(TenantSchema),
        /** Management servers, gateways: a request for one of these names always waits for an admin. */
        protectedNames: Type.Array(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    packaging: Type.Object(
      {
        /** Path of makensis; null looks it up on PATH, and no .exe is built when it is absent. */
        makensisPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
        /** Build <FQDN>-install.exe when makensis is available (the .zip and .ps1 are always there). */
        buildExe: Type.Boolean(),
        /** How agents reach the share root (e.g. \\fs01\agentcert): requests\, issued\<FQDN>\ and results\ for renewals and results. */
        shareUncPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
        /** How agents reach results/ on the share (e.g. \\fileserver\agentcert\results), written into manifests. */
        resultsUncPath: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    managementGroup: ManagementGroupSchema,
    pipeline: Type.Object(
      {
        concurrency: Type.Integer({ minimum: 1, maximum: 256 }),
        retryBaseMs: Type.Integer({ minimum: 10 }),
        retryMaxMs: Type.Integer({ minimum: 10 }),
        tickMs: Type.Integer({ minimum: 10 }),
      },
      { additionalProperties: false },
    ),
    /** Health monitors (README "Monitors"): thresholds of the waiting and stall monitors. */
    monitors: Type.Object(
      {
        /** A request in a pipeline state (received … verified, awaiting_ca) longer than this: warning. */
        waitingWarningMinutes: Type.Integer({ minimum: 1 }),
        /** … and longer than this: critical. */
        waitingCriticalMinutes: Type.Integer({ minimum: 1 }),
        /** A request waiting for an admin's approval longer than this: warning. */
        approvalWarningHours: Type.Integer({ minimum: 1 }),
        /** Requests are due but nothing was recorded for this long: critical (the pipeline is stuck). */
        stallMinutes: Type.Integer({ minimum: 1 }),
        /** How long a CA ping result is reused (AD CS pings spawn certutil). */
        caPingCacheSeconds: Type.Integer({ minimum: 0 }),
        /** Certificates are due for renewal but no request arrived for this long: warning (monitor 7006). */
        missingRequestsHours: Type.Integer({ minimum: 1 }),
      },
      { additionalProperties: false },
    ),
    /** Renewal and expiry (README "Renewal, install results and expiry"). */
    lifecycle: Type.Object(
      {
        /** Renew at this share of a certificate's lifetime (2/3 by default)… */
        renewAtPercent: Type.Number({ minimum: 1, maximum: 99 }),
        /** …or, when set, this many days before notAfter instead. */
        renewDaysBefore: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
        /** An old certificate is revoked (reason superseded) this long after its successor was installed. */
        supersededRevokeGraceDays: Type.Integer({ minimum: 0 }),
        /** Notify once per window when a certificate is this close to expiry without a successful renewal. */
        expiryWindowsDays: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }),
        /** JSON POST target for notifications (null: log and metric only). */
        webhookUrl: Type.Union([Type.String({ pattern: '^https?://' }), Type.Null()]),
        /** Webhook delivery: attempts and the first backoff (doubling, with jitter). */
        webhookAttempts: Type.Integer({ minimum: 1, maximum: 20 }),
        webhookRetryBaseMs: Type.Integer({ minimum: 10 }),
        /** UTC hour of the daily expiry digest. */
        digestHourUtc: Type.Integer({ minimum: 0, maximum: 23 }),
        /** How often the expiry watch runs. */
        checkIntervalMs: Type.Integer({ minimum: 1000 }),
        /** A certificate this many days past its renewal date with no request for its FQDN since: event 7141. */
        renewalOverdueDays: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
    /** The Windows Application log (README "Event Log"): one long-lived PowerShell writes the registry's events. */
    eventLog: Type.Object(
      {
        enabled: Type.Boolean(),
        powershellPath: Type.String({ minLength: 1 }),
        /** Events are gathered this long and written in one batch. */
        batchMs: Type.Integer({ minimum: 10, maximum: 60_000 }),
        /** How often the service evaluates its monitors, so a state change reaches the log without a /healthz call. */
        monitorIntervalSeconds: Type.Integer({ minimum: 5 }),
      },
      { additionalProperties: false },
    ),
    log: Type.Object(
      {
        level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type TenantConfig = Static<typeof TenantSchema>;
export type ManagementServerConfig = Static<typeof ManagementServerSchema>;
export type ManagementGroupConfig = Static<typeof ManagementGroupSchema>;

export const DEFAULT_CONFIG: Config = {
  share: {
    root: './var/share',
    polling: false,
    pollIntervalMs: 2000,
    reconcileIntervalMs: 30_000,
    stableMs: 500,
    incompleteGraceMs: 60_000,
    maxRequestBytes: 65_536,
  },
  data: { dir: './var/data' },
  api: { enabled: true, host: '127.0.0.1', port: 8470, tokens: [] },
  ca: {
    backend: 'builtin',
    leafValidityDays: 730,
    crlDistributionPoint: null,
    crlValidityHours: 168,
    ...CA_DEFAULTS,
  },
  policy: {
    minKeyBits: 2048,
    defaultTenant: { name: 'default', allowedNames: ['*'], approval: 'auto' },
    tenants: [],
    protectedNames: [],
  },
  packaging: { makensisPath: null, buildExe: true, shareUncPath: null, resultsUncPath: null },
  managementGroup: { name: null, servers: [], agentMsi: { sharePath: 'tools/agent/MOMAgent.msi', path: null }, installAgent: false },
  pipeline: { concurrency: 16, retryBaseMs: 5_000, retryMaxMs: 600_000, tickMs: 1_000 },
  monitors: { waitingWarningMinutes: 30, waitingCriticalMinutes: 240, approvalWarningHours: 24, stallMinutes: 10, caPingCacheSeconds: 60, missingRequestsHours: 24 },
  lifecycle: {
    renewAtPercent: 66.67,
    renewDaysBefore: null,
    supersededRevokeGraceDays: 7,
    expiryWindowsDays: [30, 14, 7],
    webhookUrl: null,
    webhookAttempts: 5,
    webhookRetryBaseMs: 2_000,
    digestHourUtc: 7,
    checkIntervalMs: 3_600_000,
    renewalOverdueDays: 7,
  },
  // On by default only where there is an Event Log.
  eventLog: { enabled: process.platform === 'win32', powershellPath: 'powershell.exe', batchMs: 250, monitorIntervalSeconds: 60 },
  log: { level: 'info' },
};
