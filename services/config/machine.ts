/**
 * This machine's DNS name, for the protected names (the built-in CA's host must not be issued to whoever asks:
 * README "Trust model"). Read here because config/ is where the environment is read (docs/architecture.md,
 * house rule 2).
 */
import { hostname } from 'node:os';

/** The host name as the OS reports it; on Windows, with USERDNSDOMAIN when the host name is short. */
export function machineFqdn(env: NodeJS.ProcessEnv = process.env): string {
  const h = hostname().toLowerCase();
  const domain = env['USERDNSDOMAIN']?.toLowerCase();
  return !h.includes('.') && domain ? `${h}.${domain}` : h;
}
