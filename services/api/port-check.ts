/**
 * Is the API port free? Asked before the service creates anything (CA, admin token, share layout), so a taken
 * port ends start-up with AC_PORT_IN_USE and a clean slate. The listener is closed again at once; the API binds
 * the port for real later (and maps a lost race to the same error, `portInUse`).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { AgentcertError } from '../domain/index.js';

export interface ApiAddress {
  host: string;
  port: number;
}

/** The AC_PORT_IN_USE error: the port, what holds it when that can be found, and how to choose another. */
export function portInUse(a: ApiAddress): AgentcertError {
  const holder = findPortHolder(a.port);
  return new AgentcertError('AC_PORT_IN_USE', `the API cannot listen on ${a.host}:${a.port}: the port is in use${holder ? ` by ${holder}` : ''}`, [
    holder ? `stop ${holder}, or choose another port` : `find what holds it (Linux: ss -ltnp 'sport = :${a.port}'; Windows: netstat -ano | findstr :${a.port}), or choose another port`,
    'another port: agentcert serve --port N, or AGENTCERT_API_PORT=N, or api.port in the config file (api.enabled: false runs without the API)',
  ]);
}

/** Throws AC_PORT_IN_USE when something listens on the port; AC_CONFIG_INVALID when the address cannot be used at all. */
export async function checkPortFree(a: ApiAddress): Promise<void> {
  if (a.port === 0) return; // any free port: nothing to collide with
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    probe.listen({ host: a.host, port: a.port, exclusive: true }, () => probe.close(() => resolve(null)));
  });
  if (!err) return;
  if (err.code === 'EADDRINUSE') throw portInUse(a);
  throw new AgentcertError('AC_CONFIG_INVALID', `the API cannot listen on ${a.host}:${a.port} (${err.code ?? err.message})`, [
    err.code === 'EACCES' ? `api.port: ports below 1024 need administrator rights; choose a higher one (serve --port N, AGENTCERT_API_PORT)` : `api.host: "${a.host}" is not an address of this machine (serve --host H, AGENTCERT_API_HOST)`,
  ]);
}

/**
 * The process listening on a TCP port, as `pid 1234 (node dist/cli/agentcert.js serve)`, from /proc (Linux
 * only: /proc/net/tcp lists the socket's inode, /proc/<pid>/fd links to it, proc(5)). Null where that cannot
 * be seen (another OS, another user's process).
 */
export function findPortHolder(port: number): string | null {
  try {
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text = '';
      try {
        text = readFileSync(table, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; the inode is the tenth column.
        if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
      }
    }
    if (inodes.size === 0) return null;
    for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      if (holdsSocket(pid, inodes)) {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        return `pid ${pid}${cmd ? ` (${cmd.slice(0, 120)})` : ''}`;
      }
    }
  } catch {
    // /proc is not there (Windows, macOS): the remediation says how to look
  }
  return null;
}

function holdsSocket(pid: string, inodes: Set<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1]!)) return true;
    } catch {
      // the fd closed meanwhile
    }
  }
  return false;
}
