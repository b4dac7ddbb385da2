/**
 * JSON schemas of the API (TypeBox): they validate input, shape output, and become the OpenAPI document at /docs.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { REQUEST_STATES } from '../domain/index.js';
import { CERTIFICATE_STATES, MAX_PAGE, REVOCATION_REASONS } from '../app/index.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const literals = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)));

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'registry code, e.g. AC_NOT_FOUND (README "Error codes")' }),
    message: Type.String(),
    remediation: Type.String(),
    details: Type.Optional(Type.Array(Type.String())),
  },
  { $id: 'ErrorBody' },
);

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  501: ErrorBody,
  503: ErrorBody,
};

export const RequestStateSchema = literals(REQUEST_STATES);
export const CertificateStateSchema = literals(CERTIFICATE_STATES);
export const RevocationReasonSchema = literals(Object.keys(REVOCATION_REASONS));

const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 100 })),
  // Bounded: an offset past 2^53 reached SQLite as a float and answered 500 (torture API fuzz).
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })),
};

export const RequestListQuery = Type.Object({
  state: Type.Optional(RequestStateSchema),
  tenant: Type.Optional(Type.String({ minLength: 1 })),
  fqdn: Type.Optional(Type.String({ minLength: 1 })),
  q: Type.Optional(Type.String({ description: 'substring of the FQDN or request id' })),
  ...Paging,
});

export const CertificateListQuery = Type.Object({
  state: Type.Optional(CertificateStateSchema),
  tenant: Type.Optional(Type.String({ minLength: 1 })),
  fqdn: Type.Optional(Type.String({ minLength: 1 })),
  q: Type.Optional(Type.String({ description: 'substring of the FQDN, serial or thumbprint' })),
  expiringWithinDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 36500, description: 'active certificates whose notAfter is within this many days' })),
  ...Paging,
});

export const EventListQuery = Type.Object({
  requestId: Type.Optional(Type.String()),
  actor: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  ...Paging,
});

export const FindingSchema = Type.Object({
  rule: Type.String(),
  severity: literals(['error', 'warning', 'info']),
  message: Type.String(),
  found: Type.Optional(Type.String()),
  required: Type.Optional(Type.String()),
  remediation: Type.String(),
  holds: Type.Optional(Type.Boolean()),
});

export const EventSchema = Type.Object({
  id: Type.Integer(),
  requestId: Type.String(),
  fqdn: Type.String(),
  at: Type.String(),
  from: Nullable(Type.String()),
  to: Type.String(),
  reason: Type.String(),
  message: Type.String(),
  actor: Type.String(),
  data: Nullable(Type.Object({}, { additionalProperties: true })),
});

export const RequestSummarySchema = Type.Object({
  id: Type.String(),
  fingerprint: Type.String(),
  fqdn: Type.String(),
  tenant: Type.String(),
  role: Type.String(),
  state: Type.String(),
  sourceName: Type.String(),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  serialNumber: Nullable(Type.String()),
  certificateState: Nullable(Type.String()),
  notAfter: Nullable(Type.String()),
  primaryServer: Type.Optional(Nullable(Type.String())),
});

export const CertificateSummarySchema = Type.Object({
  serialNumber: Type.String(),
  requestId: Type.String(),
  fqdn: Type.String(),
  tenant: Type.String(),
  thumbprint: Type.String(),
  notBefore: Type.String(),
  notAfter: Type.String(),
  subject: Type.String(),
  issuer: Type.String(),
  state: Type.String(),
  revokedAt: Nullable(Type.String()),
  revocationReason: Nullable(Type.String()),
  createdAt: Type.String(),
});

const page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() });

export const RequestPage = page(RequestSummarySchema);
export const CertificatePage = page(CertificateSummarySchema);
export const EventPage = page(EventSchema);

export const RequestDetail = Type.Object({
  request: Type.Object({
    id: Type.String(),
    fingerprint: Type.String(),
    fqdn: Type.String(),
    tenant: Type.String(),
    role: Type.String(),
    state: Type.String(),
    sourceName: Type.String(),
    caRequestId: Nullable(Type.String()),
    attempts: Type.Integer(),
    nextAttemptAt: Nullable(Type.String()),
    republish: Type.Boolean(),
    findings: Type.Array(FindingSchema),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  }),
  certificate: Nullable(
    Type.Object({
      serialNumber: Type.String(),
      thumbprint: Type.String(),
      sha256: Type.String(),
      notBefore: Type.String(),
      notAfter: Type.String(),
      renewalDueAt: Type.Optional(Type.String()),
      subject: Type.String(),
      issuer: Type.String(),
      state: Type.String(),
      pem: Type.String(),
    }),
  ),
  events: Type.Array(EventSchema),
  assignment: Type.Optional(Nullable(Type.Object({ primary: Type.String(), failovers: Type.Array(Type.String()), assignedAt: Type.String() }))),
});

export const CertificateDetail = Type.Intersect([CertificateSummarySchema, Type.Object({ sha256: Type.String(), pem: Type.String(), requestState: Type.String() })]);

export const KeyParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 300 }) });
export const SerialParam = Type.Object({ serial: Type.String({ minLength: 1, maxLength: 300 }) });

export const ApproveBody = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) });
export const DenyBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) });
export const RevokeBody = Type.Object({ reason: RevocationReasonSchema, comment: Type.Optional(Type.String({ maxLength: 2000 })) });

export const RequestStateResult = Type.Object({ id: Type.String(), fqdn: Type.String(), state: Type.String(), actor: Type.String() });

export const CrlSummary = Type.Object({ crlNumber: Type.String(), thisUpdate: Type.String(), nextUpdate: Type.String(), entries: Type.Integer(), file: Type.String() });

export const RevocationResult = Type.Object({
  serialNumber: Type.String(),
  fqdn: Type.String(),
  requestId: Type.String(),
  reason: Type.String(),
  revokedAt: Type.String(),
  actor: Type.String(),
  caMessage: Type.String(),
  crl: Nullable(CrlSummary),
  packageWithdrawnTo: Nullable(Type.String({ description: 'where issued/<FQDN>/ was moved (archive/revoked/…); null when no package of this certificate was published' })),
});

export const CaChain = Type.Object({
  backend: Type.String(),
  chain: Type.Array(
    Type.Object({ role: Type.String(), subject: Type.String(), serialNumber: Type.String(), thumbprint: Type.String(), notBefore: Type.String(), notAfter: Type.String(), pem: Type.String() }),
  ),
});

export const MonitorSchema = Type.Object({ id: Type.String(), eventId: Type.Integer(), name: Type.String(), state: literals(['healthy', 'warning', 'critical']), message: Type.String() });

export const HealthDocument = Type.Object({
  status: literals(['healthy', 'warning', 'critical']),
  checkedAt: Type.String(),
  startedAt: Type.String(),
  caBackend: Type.String(),
  monitors: Type.Array(MonitorSchema),
  requests: Type.Record(Type.String(), Type.Integer()),
});

export const ServerLoadSchema = Type.Object({
  server: Type.String(),
  kind: literals(['management-server', 'gateway']),
  reachable: Type.Boolean(),
  weight: Type.Integer(),
  agents: Type.Integer(),
});

export const AssignmentList = Type.Object({
  managementGroup: Nullable(Type.String()),
  perServer: Type.Array(ServerLoadSchema),
  items: Type.Array(Type.Object({ agent: Type.String(), tenant: Type.String(), primary: Type.String(), failovers: Type.Array(Type.String()), assignedAt: Type.String(), updatedAt: Type.String() })),
});

export const BalanceBody = Type.Object({ rebalance: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const BalanceSummarySchema = Type.Object({
  managementGroup: Type.String(),
  rebalanced: Type.Boolean(),
  agents: Type.Integer(),
  moved: Type.Array(Type.Object({ agent: Type.String(), from: Nullable(Type.String()), to: Type.String() })),
  unassigned: Type.Array(Type.String()),
  perServer: Type.Array(ServerLoadSchema),
});

export const OverviewSchema = Type.Object({
  requestsByState: Type.Record(Type.String(), Type.Integer()),
  certificatesByState: Type.Record(Type.String(), Type.Integer()),
  expiringWithin30Days: Type.Integer(),
  expiringWithin7Days: Type.Integer(),
  expiryTimeline: Type.Array(Type.Object({ month: Type.String(), count: Type.Integer() })),
  agentsPerServer: Type.Optional(Type.Array(ServerLoadSchema)),
});
