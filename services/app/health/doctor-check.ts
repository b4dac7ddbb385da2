/** One line of `agentcert doctor`, and the three ways to make one. */
import type { ErrorCode } from '../../domain/index.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  message: string;
  /** For a failing check: the registry code whose exit code `doctor` returns and whose remediation it prints. */
  code?: ErrorCode;
}

export const ok = (name: string, message: string): DoctorCheck => ({ name, status: 'ok', message });
export const warn = (name: string, message: string): DoctorCheck => ({ name, status: 'warn', message });
export const fail = (name: string, message: string, code: ErrorCode): DoctorCheck => ({ name, status: 'fail', message, code });
