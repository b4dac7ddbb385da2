/**
 * `<fqdn>.zip`: every package file, for people who copy one file to the agent and extract it there.
 */
import yazl from 'yazl';

/** The zip in memory, so it is written (and fsynced) alongside the other package files. */
export async function zipBuffer(entries: { name: string; data: Buffer }[], mtime: Date): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.data, e.name, { mtime, mode: 0o100644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
