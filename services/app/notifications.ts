/** `agentcert notify test`: one notification to the configured webhook, with the configured retries. */
import type { Config } from '../config/index.js';
import { AgentcertError, type Logger } from '../domain/index.js';
import { Notifier } from '../notify/index.js';

export async function sendTestNotification(config: Readonly<Config>, log: Logger, now: Date): Promise<string> {
  const l = config.lifecycle;
  if (!l.webhookUrl) throw new AgentcertError('AC_USAGE', 'no webhook is configured', ['set lifecycle.webhookUrl in the config file']);
  const notifier = new Notifier({ url: l.webhookUrl, attempts: l.webhookAttempts, retryBaseMs: l.webhookRetryBaseMs, log });
  const ok = await notifier.deliver({ kind: 'test', severity: 'info', title: 'agentcert test notification', text: 'If you can read this, agentcert notifications reach you.', at: now.toISOString(), data: {} });
  if (!ok) throw new AgentcertError('AC_INTERNAL', `the webhook ${l.webhookUrl} did not accept the test notification after ${l.webhookAttempts} attempt(s)`);
  return l.webhookUrl;
}
