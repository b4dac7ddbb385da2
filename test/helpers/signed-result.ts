/**
 * Install results as install-certificate.ps1 writes them to the share: the result JSON signed with the installed
 * certificate's key as CMS SignedData (enveloping, id-data, SHA-256, signed attributes contentType,
 * messageDigest, signingTime — the shape .NET's SignedCms makes with a Pkcs9SigningTime attribute), made here
 * with node-forge, and wrapped in `{schemaVersion: 2, format: 'cms-enveloping', cms}`.
 */
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';

export interface ResultFields {
  fqdn: string;
  thumbprint: string;
  status?: string;
  exitCode?: number;
  computer?: string;
  diagnosis?: unknown[];
  message?: string;
}

/** The result JSON as Write-Result builds it (the fields the service reads, plus a few it ignores). */
export function resultJson(f: ResultFields): string {
  const status = f.status ?? 'installed';
  return JSON.stringify({
    schemaVersion: 1, fqdn: f.fqdn, role: 'agent', thumbprint: f.thumbprint, computer: f.computer ?? f.fqdn.split('.')[0]!.toUpperCase(),
    startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), status, exitCode: f.exitCode ?? (status === 'installed' ? 0 : 9),
    message: f.message ?? status, selfHealed: false, diagnosis: f.diagnosis ?? [], steps: [{ name: 'preflight', status: 'ok' }],
  });
}

/** The CMS SignedData (DER) over `content`, signed with `key`, carrying `certDer`. */
export function signCms(content: Buffer, certDer: Buffer, key: KeyObject): Buffer {
  const cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(certDer.toString('binary'))));
  const privateKey = forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }).toString());
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(content.toString('binary'));
  p7.addCertificate(cert);
  p7.addSigner({
    key: privateKey,
    certificate: cert,
    digestAlgorithm: forge.pki.oids.sha256!,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType!, value: forge.pki.oids.data! },
      { type: forge.pki.oids.messageDigest! },
      { type: forge.pki.oids.signingTime!, value: new Date() as unknown as string },
    ],
  });
  p7.sign();
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
}

/** results/<FQDN>.json as the installer writes it after a good install: the signed envelope. */
export function signedResultFile(f: ResultFields, certDer: Buffer, key: KeyObject): string {
  const cms = signCms(Buffer.from(resultJson(f), 'utf8'), certDer, key);
  return JSON.stringify({ schemaVersion: 2, format: 'cms-enveloping', cms: cms.toString('base64') }, null, 2);
}
