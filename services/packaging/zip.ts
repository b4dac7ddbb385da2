/**
 * `<fqdn>.zip`: every package file, for people who copy one file to the agent and extract it there.
 *
 * A small writer of the ZIP format (APPNOTE 6.3.x §4.3: local headers, central directory, end record; deflate,
 * UTF-8 names) instead of yazl: most package files are the same for every agent (renew-certificate.ps1,
 * install.cmd, the CA certificates), and deflating them again for every package was 1 ms of the ~15 ms CPU a
 * request cost in the bulk bench. Here each distinct content is deflated once (cache keyed by SHA-256).
 */
import { createHash } from 'node:crypto';
import { constants, crc32, deflateRawSync } from 'node:zlib';

interface Compressed {
  crc: number;
  method: 0 | 8;
  data: Buffer;
}

const cache = new Map<string, Compressed>();
const CACHE_MAX = 256;
/** The same Buffer again (the static installer files are one Buffer for every package): no hashing at all. */
const byBuffer = new WeakMap<Buffer, Compressed>();

function compress(data: Buffer, store: boolean): Compressed {
  if (store) return { crc: crc32(data), method: 0, data };
  const known = byBuffer.get(data);
  if (known) return known;
  const key = createHash('sha256').update(data).digest('base64');
  let c = cache.get(key);
  if (!c) {
    const deflated = deflateRawSync(data);
    // Store what deflate cannot shrink (certificates are already dense).
    c = deflated.length < data.length ? { crc: crc32(data), method: 8, data: deflated } : { crc: crc32(data), method: 0, data };
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(key, c);
  }
  byBuffer.set(data, c);
  return c;
}

/**
 * One entry from parts that are deflated separately and joined: every part but the last ends with a sync flush
 * (an empty stored block, so the next part starts on a byte boundary, RFC 1951 §3.2.4), the last one is finished.
 * Each part refers back only into itself, which the joined stream allows, so a part that is the same Buffer in
 * every package (the installer script's template around its rendered block) is deflated once in the process.
 */
const partCache = new WeakMap<Buffer, { last: Buffer | undefined; more: Buffer | undefined }>();
function compressParts(parts: Buffer[]): Compressed {
  let crc = 0;
  const out = parts.map((part, i) => {
    crc = crc32(part, crc);
    const last = i === parts.length - 1;
    const known = partCache.get(part) ?? { last: undefined, more: undefined };
    let d = last ? known.last : known.more;
    if (!d) {
      d = deflateRawSync(part, last ? {} : { finishFlush: constants.Z_SYNC_FLUSH });
      partCache.set(part, last ? { ...known, last: d } : { ...known, more: d });
    }
    return d;
  });
  return { crc, method: 8, data: Buffer.concat(out) };
}

/** MS-DOS date and time (APPNOTE §4.4.6), in local time like every zip tool. */
function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

const UTF8_NAMES = 0x0800; // general purpose bit 11: names are UTF-8
const MADE_BY_UNIX = (3 << 8) | 20; // so the external attributes carry the Unix mode

/**
 * An entry is its `data`; `parts` (optional) are the same bytes in pieces, deflated piece by piece (compressParts).
 * `store: true` keeps an entry uncompressed.
 */
export async function zipBuffer(entries: { name: string; data: Buffer; parts?: Buffer[]; store?: boolean }[], mtime: Date): Promise<Buffer> {
  const { time, date } = dosDateTime(mtime);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const c = e.parts && !e.store ? compressParts(e.parts) : compress(e.data, e.store === true);
    const name = Buffer.from(e.name, 'utf8');
    // APPNOTE §4.3.7 and §4.3.12: the local header and the central directory entry carry the same 24 bytes from
    // "version needed" to "file name length"; the central entry adds "made by" before and more after.
    const shared = Buffer.alloc(24);
    shared.writeUInt16LE(20, 0); // version needed: 2.0 (deflate)
    shared.writeUInt16LE(UTF8_NAMES, 2);
    shared.writeUInt16LE(c.method, 4);
    shared.writeUInt16LE(time, 6);
    shared.writeUInt16LE(date, 8);
    shared.writeUInt32LE(c.crc, 10);
    shared.writeUInt32LE(c.data.length, 14);
    shared.writeUInt32LE(e.data.length, 18);
    shared.writeUInt16LE(name.length, 22);
    const local = Buffer.alloc(30); // extra field length (28) stays 0
    local.writeUInt32LE(0x04034b50, 0);
    shared.copy(local, 4, 0, 24);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(MADE_BY_UNIX, 4);
    shared.copy(cd, 6, 0, 24);
    cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
    cd.writeUInt32LE(offset, 42);
    parts.push(local, name, c.data);
    central.push(cd, name);
    offset += local.length + name.length + c.data.length;
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}
