/**
 * `<fqdn>.zip`: every package file, for people who copy one file to the agent and extract it there.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import yazl from 'yazl';
import { fsyncPath } from './durable-write.js';

export async function writeZip(file: string, entries: { name: string; data: Buffer }[], mtime: Date): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.data, e.name, { mtime, mode: 0o100644 });
  zip.end();
  const out = createWriteStream(file);
  zip.outputStream.pipe(out);
  await Promise.race([
    once(out, 'close'),
    once(zip.outputStream, 'error').then(([err]) => Promise.reject(err as Error)),
    once(out, 'error').then(([err]) => Promise.reject(err as Error)),
  ]);
  await fsyncPath(file);
}
