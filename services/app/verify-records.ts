/** `agentcert verify` with what the host it runs on knows: the built-in CA's chain, agentcert's records, CRLs. */
import type { Config } from '../config/index.js';
import { readCertificateFile } from '../pki/index.js';
import { openAppStore, storeExists } from './app.js';
import { localChain } from './ca-view.js';
import type { RevocationSources } from './verify-revocation.js';
import { leafOf, verifyCertificateFile, type VerifyDocument } from './verify.js';

/**
 * `agentcert verify` where the service may live: the built-in CA's chain when it is here, agentcert's record of
 * the certificate when its store is here (verify also runs on a machine with neither), and the given CRLs.
 */
export async function verifyWithRecords(config: Readonly<Config>, o: { file: NamedFile; chainFiles: NamedFile[]; crls: NamedFile[]; fqdn: string | null; allowShortName?: boolean; at: Date }): Promise<VerifyDocument> {
  const chain = localChain(config) ?? [];
  const crls = o.crls.map((f) => ({ ...f, bytes: crlDer(f.bytes) }));
  const caCertificates = [...chain, ...o.chainFiles.flatMap((f) => readCertificateFile(f.bytes, f.name))];
  let recorded: RevocationSources['recorded'] = null;
  const storeAsked = storeExists(config);
  if (storeAsked) {
    const store = openAppStore(config);
    try {
      const c = await store.certificates.find(leafOf(o.file).serialNumber);
      recorded = c ? { state: c.state, revokedAt: c.revokedAt, reason: c.revocationReason } : null;
    } finally {
      await store.close();
    }
  }
  return verifyCertificateFile({
    file: o.file,
    chainFiles: o.chainFiles,
    fqdn: o.fqdn,
    allowShortName: o.allowShortName === true,
    configuredRoots: chain.slice(-1),
    minKeyBits: config.policy.minKeyBits,
    at: o.at,
    revocation: () => ({ recorded, storeAsked, crls, caCertificates }),
  });
}

type NamedFile = { name: string; bytes: Buffer };

/** A CRL file as DER (a PEM "X509 CRL" block is decoded). */
function crlDer(bytes: Buffer): Buffer {
  const m = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(bytes.toString('latin1'));
  return m ? Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64') : bytes;
}
