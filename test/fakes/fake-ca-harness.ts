/**
 * Test-side control of the fake CA, shared by the AdcsBackend integration tests: a fake CA state dir, the fake certreq/certutil shims
 * (test/fakes/bin, compiled to dist/ by `npx tsc -p tsconfig.json`), the real execa runner.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAdcsBackend, type AdcsBackend } from '../../services/ca/adcs/index.js';
import type { IssuanceInput } from '../../services/domain/index.js';
import { makeSampleRequest, parseRequest } from '../../services/pki/index.js';
import { createExecaRunner } from '../../services/process/index.js';
import { readLog, writeScenario, type FakeLogEntry, type FakeScenario } from './fake-ca-state.js';
import { repoRoot } from '../helpers/paths.js';
import { recordingLogger } from '../helpers/recording-logger.js';

export const CA_CONFIG = 'ca01.example.local\\Example Standalone Root CA';
const bin = path.join(repoRoot, 'test/fakes/bin');

export function assertFakesBuilt(): void {
  if (!existsSync(path.join(repoRoot, 'dist/test/fakes/certreq.js'))) throw new Error('run `npx tsc -p tsconfig.json` first: dist/test/fakes is missing');
}

export interface FakeCaEnv {
  stateDir: string;
  workDir: string;
  scenario(s: FakeScenario): void;
  log(): FakeLogEntry[];
  submits(): FakeLogEntry[];
  backend(timeoutMs?: number): AdcsBackend;
  cleanup(): void;
}

export function makeFakeCa(): FakeCaEnv {
  const root = mkdtempSync(path.join(os.tmpdir(), 'agentcert-adcs-'));
  const stateDir = path.join(root, 'fake-ca');
  const workDir = path.join(root, 'data', 'adcs');
  // The runner passes the service's environment on to the tools; the fake reads its state dir from it.
  process.env.AGENTCERT_FAKE_CA_DIR = stateDir;
  writeScenario(stateDir, {});
  return {
    stateDir,
    workDir,
    scenario: (s) => writeScenario(stateDir, s),
    log: () => readLog(stateDir),
    // A submit the CA took (not one refused by a fault before it reached the CA).
    submits: () => readLog(stateDir).filter((e) => e.verb === 'submit' && e.requestId !== null),
    backend: (timeoutMs = 10_000) => createAdcsBackend({
      config: CA_CONFIG, certreqPath: path.join(bin, 'certreq'), certutilPath: path.join(bin, 'certutil'),
      timeoutMs, workDir, runner: createExecaRunner(), log: recordingLogger(),
    }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function issuanceInput(fqdn: string, withEku = false): IssuanceInput {
  const req = makeSampleRequest(fqdn, { withEku, keyBits: 2048 });
  const parsed = parseRequest(req.der);
  const ekus = parsed.requestedExtensions.extendedKeyUsage;
  return {
    fingerprint: parsed.fingerprint, fqdn, csrDer: parsed.csrDer, publicKeyDer: parsed.publicKeyDer, csrPem: req.pem,
    requestHasScomEkus: ekus.includes('1.3.6.1.5.5.7.3.1') && ekus.includes('1.3.6.1.5.5.7.3.2'),
    dnsNames: [fqdn], requestedSubjectAltNames: parsed.requestedExtensions.subjectAltName,
  };
}

/** A persist callback that records what the backend persisted, and in which order relative to tool calls. */
export function recorder(env: FakeCaEnv): { ids: string[]; logLengthAtPersist: number[]; persist: (id: string) => void } {
  const ids: string[] = [];
  const logLengthAtPersist: number[] = [];
  return { ids, logLengthAtPersist, persist: (id) => { ids.push(id); logLengthAtPersist.push(env.log().length); } };
}
