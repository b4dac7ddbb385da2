/** The CA files kept in the store's meta table: one JSON object of file name → Base64, in both stores alike. */
export function encodeFiles(files: Record<string, Buffer>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.toString('base64')])));
}

export function decodeFiles(text: string | null): Record<string, Buffer> | null {
  if (text === null) return null;
  return Object.fromEntries(Object.entries(JSON.parse(text) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}
