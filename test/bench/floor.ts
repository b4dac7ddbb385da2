/**
 * The floor a durable package service could reach on this machine, measured in the same run as the service:
 * the CA key's signing rate on both cores (`openssl speed -multi 2`), what writing one real package durably costs
 * (the file system alone: files written and fsynced, folder renamed, parents fsynced), and — what scripted
 * automation does — one `openssl x509 -req` process per request. A request cannot cost less than one signature
 * plus one durable package, so every CPU figure is printed as a multiple of the two and every throughput as a
 * fraction of the rate the two allow on all cores.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt, ms } from './common.js';

/** `openssl speed -multi 2 -seconds 3 rsa<bits>`: RSA sign/s summed over two processes (the two cores' floor). */
export function opensslSignFloor(bits: number, seconds = 3): number {
  const r = spawnSync('openssl', ['speed', '-multi', '2', '-seconds', String(seconds), `rsa${bits}`], { encoding: 'utf8', timeout: 120_000 });
  const m = new RegExp(`rsa\\s+${bits}\\s+bits\\s+[\\d.]+s\\s+[\\d.]+s\\s+([\\d.]+)`).exec(`${r.stdout}\n${r.stderr}`);
  if (!m) throw new Error(`could not read openssl speed output:\n${r.stdout}\n${r.stderr}`);
  return Number(m[1]);
}

/**
 * A bash loop doing one `openssl x509 -req` process per request (serverAuth+clientAuth, 730 days, a CA key of
 * the same type as ours), over a sample of the cached requests. Returns requests/s. The CA and the extension
 * file are made before the timed part; the cached PEMs ("NEW CERTIFICATE REQUEST") are accepted by openssl as
 * they are, and converted to the plain header beforehand if not.
 */
export function opensslLoop(reqDir: string, files: string[], workDir: string, bits: number): { perSecond: number; count: number; seconds: number } {
  mkdirSync(path.join(workDir, 'in'), { recursive: true });
  mkdirSync(path.join(workDir, 'out'), { recursive: true });
  const ca = path.join(workDir, 'ca');
  execFileSync('openssl', ['req', '-x509', '-newkey', `rsa:${bits}`, '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-subj', '/CN=bench loop CA/O=agentcert bench', '-days', '3650', '-sha256'], { stdio: 'ignore' });
  writeFileSync(path.join(workDir, 'ext.cnf'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  const first = path.join(reqDir, files[0]!);
  const acceptsAsIs = spawnSync('openssl', ['req', '-in', first, '-noout'], { stdio: 'ignore' }).status === 0;
  for (const f of files) {
    const text = readFileSync(path.join(reqDir, f), 'utf8');
    writeFileSync(path.join(workDir, 'in', f), acceptsAsIs ? text : text.replace(/(BEGIN|END) NEW CERTIFICATE REQUEST/g, '$1 CERTIFICATE REQUEST'));
  }
  const script = [
    'set -e',
    'cd "$1"',
    'n=4096',
    'for f in in/*.req; do',
    '  n=$((n+1))',
    '  openssl x509 -req -in "$f" -CA ca.pem -CAkey ca.key -set_serial "$n" -days 730 -sha256 -extfile ext.cnf -out "out/${f#in/}.pem" 2>/dev/null',
    'done',
  ].join('\n');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', script, 'loop', workDir], { encoding: 'utf8', timeout: 600_000 });
  const seconds = ms(t0, process.hrtime.bigint()) / 1000;
  if (r.status !== 0) throw new Error(`openssl loop failed (${r.status}): ${r.stderr}`);
  const made = readdirSync(path.join(workDir, 'out')).length;
  if (made !== files.length) throw new Error(`openssl loop made ${made} of ${files.length} certificates`);
  return { perSecond: files.length / seconds, count: files.length, seconds };
}

/** Sizes of the files of a real package (bytes): certificate, root, install.cmd, renew script, renewal.inf, install script, manifest, zip. */
const PACKAGE_FILE_SIZES = [1_250, 1_500, 1_600, 33_100, 700, 44_800, 4_200, 62_000];

/**
 * What the file system alone costs a package on this machine: a staging folder, the package's files written and
 * fsynced one by one, the folder fsynced, renamed into place, the parent fsynced — no rendering, no crypto, no
 * store, one thread. Returns packages/s and the CPU (user+system) a package took.
 */
export function fsFloor(workDir: string, packages = 300): { perSecond: number; cpuMsPerPackage: number } {
  const out = path.join(workDir, 'issued');
  mkdirSync(out, { recursive: true });
  const data = PACKAGE_FILE_SIZES.map((n, i) => Buffer.alloc(n, 65 + i));
  const syncDir = (d: string): void => {
    const fd = openSync(d, 'r');
    fsyncSync(fd);
    closeSync(fd);
  };
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < packages; p++) {
    const tmp = path.join(out, `.tmp-${p}`);
    mkdirSync(tmp);
    data.forEach((b, i) => {
      const fd = openSync(path.join(tmp, `f${i}`), 'w');
      writeSync(fd, b);
      fsyncSync(fd);
      closeSync(fd);
    });
    syncDir(tmp);
    renameSync(tmp, path.join(out, `pkg${p}`));
    syncDir(out);
  }
  const seconds = ms(t0, process.hrtime.bigint()) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: packages / seconds, cpuMsPerPackage: (cpu.user + cpu.system) / 1000 / packages };
}

/** The floor, combined: what one request cannot cost less than, and the rate that allows on every core. */
export interface Floor {
  /** Signatures a second with the CA's key type on all cores (the best reading). */
  signPerSecond: number;
  readings: number[];
  /** CPU of one signature (ms): cores ÷ the all-core rate. */
  signatureMs: number;
  /** CPU of writing one package durably (ms), and packages a second on one thread. */
  packageWriteMs: number;
  packageWritesPerSecond: number;
  /** signatureMs + packageWriteMs, and the rate it allows on all cores. */
  requestMs: number;
  requestsPerSecond: number;
  cores: number;
}

export function combineFloor(readings: number[], fs: { perSecond: number; cpuMsPerPackage: number }): Floor {
  const cores = os.availableParallelism();
  // The best reading: on shared cores a reading taken while a neighbour runs is lower, never higher.
  const signPerSecond = Math.max(...readings);
  const signatureMs = (cores * 1000) / signPerSecond;
  const requestMs = signatureMs + fs.cpuMsPerPackage;
  return { signPerSecond, readings, signatureMs, packageWriteMs: fs.cpuMsPerPackage, packageWritesPerSecond: fs.perSecond, requestMs, requestsPerSecond: (cores * 1000) / requestMs, cores };
}

/** "42 % of floor (588 req/s)" */
export const ofFloor = (perSecond: number, f: Floor): string => `${fmt((100 * perSecond) / f.requestsPerSecond)} % of floor`;
/** "1.8× (signature + package write)" */
export const timesFloor = (cpuMs: number, f: Floor): string => `${fmt(cpuMs / f.requestMs, 2)}× (signature + durable package)`;
export const floorText = (f: Floor): string =>
  `floor ${fmt(f.requestsPerSecond)} req/s = ${f.cores} cores ÷ (signature ${fmt(f.signatureMs, 2)} ms + durable package ${fmt(f.packageWriteMs, 2)} ms); openssl speed ${f.readings.map((r) => fmt(r)).join(' / ')} sign/s`;
