/** Admin commands (approve, deny, revoke, ca crl, doctor): filled in by the admin-surface work. */
import type { Command } from 'commander';
import type { Config } from '../services/config/index.js';

export function adminCommands(_program: Command, _configFrom: (cmd: Command) => Readonly<Config>, _out: (s: string) => void): void {}
