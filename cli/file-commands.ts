/** `agentcert inspect`, `verify` and `sample-request`: the tools that work on files, with or without the service. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../services/app/index.js';
import { AgentcertError, systemClock } from '../services/domain/index.js';
import { inspectRequest, makeSampleRequest, openAppStore, renderInspect, renderVerify, storeExists, verifyWithRecords } from '../services/app/index.js';

export function fileCommands(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  const openStore = openAppStore;
  program
    .command('inspect <file>')
    .description('show everything in one request file and the policy verdict (exit 0 accept/hold, 3 reject, 2 not a request)')
    .option('--fqdn <name>', 'the FQDN the request must be for (default: from the file name, else the request)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { fqdn?: string; json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (err) {
        throw new AgentcertError('AC_USAGE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
      }
      // With a store at hand the verdict takes the same facts as the pipeline (other keys, renewal signers).
      const store = storeExists(config) ? openStore(config) : null;
      const doc = await inspectRequest(bytes, { fileName: path.basename(file), ...(opts.fqdn ? { fqdn: opts.fqdn } : {}), config, store, now: systemClock.now() }).finally(() => store?.close());
      out(opts.json ? JSON.stringify(doc, null, 2) : renderInspect(doc));
      if (doc.verdict.outcome === 'reject') process.exitCode = 3;
    });

  program
    .command('verify <file>')
    .description('check an issued certificate (PEM, DER or PKCS#7) against the SCOM rules and build its chain (exit 0 pass, 5 fail)')
    .option('--chain <file...>', 'CA certificates to chain to (PEM, DER or .p7b); default: the built-in CA')
    .option('--fqdn <name>', 'the FQDN the certificate must be for (default: its CN)')
    .option('--crl <file...>', 'CRLs to check the certificate against (DER or PEM); agentcert\'s own records are checked when its store is here')
    .option('--allow-short-name', "accept the FQDN's short name after it in the SAN (a tenant with allowShortNameAlias)")
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { chain?: string[]; fqdn?: string; crl?: string[]; allowShortName?: boolean; json?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const read = (f: string) => {
        try {
          return { name: f, bytes: readFileSync(f) };
        } catch (err) {
          throw new AgentcertError('AC_USAGE', `cannot read ${f}: ${(err as NodeJS.ErrnoException).code}`);
        }
      };
      const doc = await verifyWithRecords(config, { file: read(file), chainFiles: (opts.chain ?? []).map(read), crls: (opts.crl ?? []).map(read), fqdn: opts.fqdn ?? null, allowShortName: opts.allowShortName === true, at: systemClock.now() });
      out(opts.json ? JSON.stringify(doc, null, 2) : renderVerify(doc));
      if (!doc.passed) process.exitCode = 5;
    });

  program
    .command('sample-request <fqdn>')
    .description('write a request like certreq makes (RSA-2048, Microsoft attributes, SChannel CSP, KeySpec 1) to try the flow without Windows')
    .option('--out <file>', 'where to write it (default: <fqdn>.req in the current folder)')
    .action((fqdn: string, opts: { out?: string }) => {
      const { pem } = makeSampleRequest(fqdn);
      const file = opts.out ?? `${fqdn}.req`;
      writeFileSync(file, pem);
      out(`wrote ${file} (RSA-2048, Microsoft RSA SChannel Cryptographic Provider, KeySpec 1). The private key is not kept: the certificate is for trying the flow only.`);
    });
}
