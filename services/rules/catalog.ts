/**
 * The SCOM readiness rules for requests. Each rule names the fact it enforces (docs/scom-facts.md §N) and gives the
 * server owner the exact fix. Policy outcomes are data (findings), never exceptions.
 */
import type { Finding, Severity } from '../domain/index.js';
import { hasScomEkus, SCOM_EKUS, type ParsedRequest } from '../pki/index.js';

export interface RequestRuleContext {
  parsed: ParsedRequest;
  /** The FQDN the file is named after (lower case). */
  fileFqdn: string;
  minKeyBits: number;
}

export interface RequestRule {
  id: string;
  severity: Severity;
  fact: string;
  check(ctx: RequestRuleContext): Omit<Finding, 'rule' | 'severity'>[];
}

const [OID_SERVER_AUTH, OID_CLIENT_AUTH] = SCOM_EKUS;
const SCHANNEL = 'Microsoft RSA SChannel Cryptographic Provider';
const INF_PROVIDER_FIX = `set ProviderName = "${SCHANNEL}", ProviderType = 12 and KeySpec = 1 in the [NewRequest] section of the INF (the agent template in tools/ has them) and run request-certificate.ps1 again`;

export const REQUEST_RULES: RequestRule[] = [
  {
    id: 'REQ_SIGNATURE',
    severity: 'error',
    fact: 'RFC 2986 §3: the request is signed with the key it carries (proof of possession)',
    check: ({ parsed }) =>
      parsed.signatureValid
        ? []
        : [{ message: 'the request signature does not verify', found: 'a signature that does not match the public key', required: 'a request signed by its own key', remediation: 'the file was changed after certreq wrote it: create the request again with request-certificate.ps1 and drop it unchanged' }],
  },
  {
    id: 'REQ_KEY_ALGORITHM',
    severity: 'error',
    fact: 'docs/scom-facts.md §1.1: legacy CryptoAPI CSP RSA keys only',
    check: ({ parsed }) =>
      parsed.key.algorithm === 'RSA'
        ? []
        : [{ message: `the key is ${parsed.key.algorithm}${parsed.key.curve ? ` (${parsed.key.curve})` : ''}, not RSA`, found: `${parsed.key.algorithm} key`, required: 'an RSA key from a legacy CSP', remediation: `set KeyAlgorithm = RSA and ${INF_PROVIDER_FIX}` }],
  },
  {
    id: 'REQ_KEY_SIZE',
    severity: 'error',
    fact: 'docs/scom-facts.md §1.1: key length 2048 or more (policy minimum)',
    check: ({ parsed, minKeyBits }) =>
      parsed.key.algorithm !== 'RSA' || (parsed.key.bits ?? 0) >= minKeyBits
        ? []
        : [{ message: `the RSA key has ${parsed.key.bits} bits, below the minimum of ${minKeyBits}`, found: `RSA-${parsed.key.bits}`, required: `RSA-${minKeyBits} or more`, remediation: `set KeyLength = ${Math.max(2048, minKeyBits)} in the INF and run request-certificate.ps1 again` }],
  },
  {
    id: 'REQ_KEY_PROVIDER',
    severity: 'error',
    fact: 'docs/scom-facts.md §1.1, §3.1 cause 3: KSP (CNG) keys and KeySpec 2 end in event 20069 / 0x8009030D',
    check: ({ parsed }) => {
      const csp = parsed.microsoft.csp;
      if (!csp) return [];
      if (csp.keySpec === 0) {
        return [{ message: `the key was made by the ${csp.provider || 'a Key Storage Provider'} (CNG/KSP, keySpec 0); SCOM agents cannot use KSP keys (event 20069 / 0x8009030D)`, found: `provider "${csp.provider}", keySpec 0`, required: `a legacy CSP ("${SCHANNEL}") with KeySpec 1 (AT_KEYEXCHANGE)`, remediation: INF_PROVIDER_FIX }];
      }
      if (csp.keySpec !== 1) {
        return [{ message: `the key has KeySpec ${csp.keySpec}${csp.keySpec === 2 ? ' (AT_SIGNATURE)' : ''}; SCOM needs AT_KEYEXCHANGE (event 20069: "the KeySpec must be AT_KEYEXCHANGE")`, found: `provider "${csp.provider}", keySpec ${csp.keySpec}`, required: 'KeySpec 1 (AT_KEYEXCHANGE)', remediation: INF_PROVIDER_FIX }];
      }
      return [];
    },
  },
  {
    id: 'REQ_KEY_PROVIDER_UNKNOWN',
    severity: 'warning',
    fact: 'docs/scom-facts.md §5: certreq writes the CSP attribute 1.3.6.1.4.1.311.13.2.2; without it the provider cannot be confirmed',
    check: ({ parsed }) =>
      parsed.microsoft.csp || parsed.key.algorithm !== 'RSA'
        ? []
        : [{ message: 'cannot confirm the key provider: the request has no Microsoft CSP attribute (it was not made by certreq/CertEnroll)', found: 'no 1.3.6.1.4.1.311.13.2.2 attribute', required: `a key from "${SCHANNEL}" with KeySpec 1`, remediation: 'make sure the private key is in a legacy CSP with KeySpec 1 in the machine store, or create the request with request-certificate.ps1' }],
  },
  {
    id: 'REQ_SUBJECT_SINGLE_CN',
    severity: 'error',
    fact: 'docs/scom-facts.md §1.1 "Multiple names": one CN; checkers flag "Duplicate Common Names"',
    check: ({ parsed }) =>
      parsed.commonNames.length <= 1
        ? []
        : [{ message: `the subject holds ${parsed.commonNames.length} common names (${parsed.commonNames.join(', ')}); SCOM reads only the first`, found: parsed.subject, required: 'exactly one CN, the FQDN', remediation: 'set Subject = "CN=<FQDN>" in the INF with a single CN' }],
  },
  {
    id: 'REQ_SUBJECT_FQDN',
    severity: 'error',
    fact: 'docs/scom-facts.md §1.1: the subject (or the first name) is the DNS FQDN of the host',
    check: ({ parsed, fileFqdn }) => {
      const name = parsed.fqdn;
      if (!name) return [{ message: 'the request names no host: the subject has no CN and there is no DNS name', found: parsed.subject || '(empty subject)', required: `CN=${fileFqdn}`, remediation: `set Subject = "CN=${fileFqdn}" in the INF` }];
      if (name.includes('*')) return [{ message: `the name "${name}" is a wildcard; each SCOM agent needs its own certificate for its own FQDN`, found: name, required: `CN=${fileFqdn}`, remediation: `set Subject = "CN=${fileFqdn}" in the INF` }];
      if (name.toLowerCase() !== fileFqdn) return [{ message: `the request is for "${name}" but the file is named ${fileFqdn}.req`, found: name, required: fileFqdn, remediation: `name the file after the host's FQDN (${name.toLowerCase()}.req) or set Subject = "CN=${fileFqdn}" in the INF` }];
      return [];
    },
  },
  {
    id: 'REQ_NOT_CA',
    severity: 'error',
    fact: 'RFC 5280 §4.2.1.9: an agent certificate is an end entity',
    check: ({ parsed }) =>
      parsed.requestedExtensions.basicConstraintsCA === true
        ? [{ message: 'the request asks for a CA certificate (basicConstraints CA:true)', found: 'CA:true', required: 'an end-entity certificate', remediation: 'remove the basic constraints extension from the INF' }]
        : [],
  },
  {
    id: 'REQ_EKU_MISSING',
    severity: 'info',
    fact: 'docs/scom-facts.md §8.1: the classic INF requests no EKU; the issued certificate carries serverAuth and clientAuth anyway',
    check: ({ parsed }) =>
      parsed.requestedExtensions.extendedKeyUsage.length > 0
        ? []
        : [{ message: 'the request asks for no extended key usage; the issued certificate gets Server Authentication and Client Authentication', found: 'no EKU', required: `${OID_SERVER_AUTH} and ${OID_CLIENT_AUTH}`, remediation: 'nothing to do; the templates in tools/ add [EnhancedKeyUsageExtension]' }],
  },
  {
    id: 'REQ_EKU_INCOMPLETE',
    severity: 'warning',
    fact: 'docs/scom-facts.md §1.1, event 20050: both serverAuth and clientAuth',
    check: ({ parsed }) => {
      const eku = parsed.requestedExtensions.extendedKeyUsage;
      if (eku.length === 0 || hasScomEkus(eku)) return [];
      return [{ message: 'the request asks for extended key usages without both Server and Client Authentication; the issued certificate carries both', found: eku.join(', '), required: `${OID_SERVER_AUTH} and ${OID_CLIENT_AUTH}`, remediation: 'add OID=1.3.6.1.5.5.7.3.1 and OID=1.3.6.1.5.5.7.3.2 under [EnhancedKeyUsageExtension] in the INF' }];
    },
  },
  {
    id: 'REQ_WEAK_HASH',
    severity: 'warning',
    fact: 'docs/scom-facts.md §1.1: HashAlgorithm = SHA256',
    check: ({ parsed }) =>
      /sha1|md5|md2/i.test(parsed.signatureAlgorithm)
        ? [{ message: `the request is signed with ${parsed.signatureAlgorithm}`, found: parsed.signatureAlgorithm, required: 'SHA-256', remediation: 'set HashAlgorithm = SHA256 in the INF' }]
        : [],
  },
];

/** Run every request rule; findings carry the rule id and severity. */
export function checkRequest(ctx: RequestRuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const rule of REQUEST_RULES) {
    for (const f of rule.check(ctx)) findings.push({ rule: rule.id, severity: rule.severity, ...f });
  }
  return findings;
}
