/** openssl as the independent verifier of what the service produced. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/** Write a certificate file as PEM (the package may hold DER or PEM). */
export function toPemFile(src: string, dest: string): string {
  const bytes = readFileSync(src);
  if (bytes.includes(Buffer.from('-----BEGIN'))) writeFileSync(dest, bytes);
  else execFileSync('openssl', ['x509', '-inform', 'DER', '-in', src, '-out', dest]);
  return dest;
}

export function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', ...(input ? { input } : {}), stdio: ['pipe', 'pipe', 'pipe'] });
}
