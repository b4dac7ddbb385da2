/**
 * Where a request's CPU goes, from a Linux `perf` recording of the service: every sample is put in one kind of
 * work by the first rule its call stack matches (file creation in ext4, fsync, SQLite, the RSA signature, …), per
 * thread and in all. docs/performance.md shows how to record and what the kinds mean.
 *
 *   perf record -F 999 -g -o perf.data -- node --perf-basic-prof dist/cli/agentcert.js serve --once …
 *   perf script -i perf.data -F tid,ip,sym > perf.txt
 *   node dist/test/bench/perf-split.js perf.txt <requests>
 */
import { readFileSync } from 'node:fs';

/** The first matching rule names a sample's kind; the order matters (a signature's stack also holds JS frames). */
const KINDS: [string, RegExp][] = [
  ['file creation (ext4 inode)', /ext4_create|ext4_mkdir|__ext4_new_inode/],
  ['fsync', /fsync|ext4_sync_file/],
  ['rename, unlink', /do_renameat2|do_unlinkat|do_rmdir/],
  ['open', /do_sys_openat2/],
  ['write', /ksys_write|ksys_pwrite|__x64_sys_pwrite|vfs_write/],
  ['read, stat', /ksys_read|vfs_statx|newfstat|vfs_fstat|ksys_pread|__x64_sys_pread|iterate_dir/],
  ['thread wake-ups', /futex|schedule|try_to_wake|epoll|eventfd/],
  ['RSA signature', /\bbn_|BN_|rsa_|RSA_|ossl_rsa|mul_mont|sqrx|mulx/],
  ['SHA', /sha256|sha1_|SHA/],
  ['zlib', /deflate|longest_match|compress_block|crc32|inflate/],
  ['SQLite', /sqlite3|wal[A-Z]|btree|pcache|fts5|vdbe/i],
  ['garbage collection', /Scavenge|MarkCompact|Heap::|GCTracer|Sweeper|Evacuat|ConcurrentMark|MarkingVisitor/],
  ['JIT compiler', /compiler::|Maglev|Turbofan|Compile/],
  ['OpenSSL other (parsing, providers)', /ossl_|OSSL_|EVP_|OPENSSL_|ASN1|X509|d2i|i2d|PEM_/],
  ['JavaScript', /^JS:|Builtins_|v8::|Runtime_/],
];

export function splitSamples(text: string): { samples: number; kinds: Map<string, number>; threads: Map<string, Map<string, number>> } {
  const kinds = new Map<string, number>();
  const threads = new Map<string, Map<string, number>>();
  let samples = 0;
  const add = (tid: string, frames: string[]): void => {
    const kind = KINDS.find(([, re]) => frames.some((f) => re.test(f)))?.[0] ?? 'other';
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const t = threads.get(tid) ?? new Map<string, number>();
    t.set(kind, (t.get(kind) ?? 0) + 1);
    threads.set(tid, t);
    samples++;
  };
  let tid: string | null = null;
  let frames: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) {
      if (tid !== null) add(tid, frames);
      (tid = null), (frames = []);
    } else if (!line.startsWith('\t')) tid = line.trim().split(/\s+/)[0]!;
    else frames.push(line.trim().split(/\s+/).slice(1).join(' '));
  }
  if (tid !== null) add(tid, frames);
  return { samples, kinds, threads };
}

if (process.argv[1]?.endsWith('perf-split.js')) {
  const [file, requests] = [process.argv[2]!, Number(process.argv[3] ?? 0)];
  const hz = Number(process.env.PERF_HZ ?? 999);
  const { samples, kinds, threads } = splitSamples(readFileSync(file, 'utf8'));
  const msPerReq = (n: number): string => (requests > 0 ? `${((n / hz) * 1000 / requests).toFixed(2)} ms/req` : '');
  process.stdout.write(`${samples} samples at ${hz} Hz = ${(samples / hz).toFixed(1)} s CPU${requests ? ` for ${requests} requests` : ''}\n`);
  for (const [k, n] of [...kinds].sort((a, b) => b[1] - a[1])) process.stdout.write(`${((100 * n) / samples).toFixed(1).padStart(5)} %  ${msPerReq(n).padStart(13)}  ${k}\n`);
  process.stdout.write('\nby thread (largest first):\n');
  for (const [t, m] of [...threads].sort((a, b) => sum(b[1]) - sum(a[1])).slice(0, 10)) {
    const top = [...m].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${k} ${((100 * n) / samples).toFixed(1)} %`).join(', ');
    process.stdout.write(`  ${t}: ${((100 * sum(m)) / samples).toFixed(1)} % ${msPerReq(sum(m))} — ${top}\n`);
  }
}

function sum(m: Map<string, number>): number {
  return [...m.values()].reduce((a, b) => a + b, 0);
}
