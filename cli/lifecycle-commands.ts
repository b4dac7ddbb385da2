/** `agentcert notify test`: check the webhook end to end. */
import type { Command } from 'commander';
import type { Config } from '../services/config/index.js';
import { AgentcertError } from '../services/domain/index.js';
import { Notifier } from '../services/lifecycle/index.js';
import { createLogger } from '../services/log.js';

export function lifecycleCommands(program: Command, configFrom: (cmd: Command) => Readonly<Config>, out: (s: string) => void): void {
  const notify = program.command('notify').description('notifications (expiry alerts, daily digest)');
  notify
    .command('test')
    .description('send a test notification to lifecycle.webhookUrl (with the configured retries)')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = configFrom(cmd);
      const l = config.lifecycle;
      if (!l.webhookUrl) throw new AgentcertError('AC_USAGE', 'no webhook is configured', ['set lifecycle.webhookUrl in the config file']);
      const notifier = new Notifier({ url: l.webhookUrl, attempts: l.webhookAttempts, retryBaseMs: l.webhookRetryBaseMs, log: createLogger(config.log.level) });
      const ok = await notifier.deliver({ kind: 'test', severity: 'info', title: 'agentcert test notification', text: 'If you can read this, agentcert notifications reach you.', at: new Date().toISOString(), data: {} });
      if (!ok) throw new AgentcertError('AC_INTERNAL', `the webhook ${l.webhookUrl} did not accept the test notification after ${l.webhookAttempts} attempt(s)`);
      out(`delivered a test notification to ${l.webhookUrl}`);
    });
}
