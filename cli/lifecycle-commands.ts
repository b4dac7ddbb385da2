/** `agentcert notify test`: check the webhook end to end. */
import type { Command } from 'commander';
import { sendTestNotification } from '../services/app/index.js';
import type { Config } from '../services/app/index.js';
import { systemClock } from '../services/domain/index.js';
import { createLogger } from '../services/app/index.js';

export function lifecycleCommands(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  const notify = program.command('notify').description('notifications (expiry alerts, daily digest)');
  notify
    .command('test')
    .description('send a test notification to lifecycle.webhookUrl (with the configured retries)')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = configFrom(cmd);
      const url = await sendTestNotification(config, createLogger(config.log.level), systemClock.now());
      out(`delivered a test notification to ${url}`);
    });
}
