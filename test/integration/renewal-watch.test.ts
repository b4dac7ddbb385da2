/**
 * The renewal watch and monitor 7006 on a real pipeline: a certificate past its renewal date with no request
 * since counts as waiting (7006 warns once no request arrived for monitors.missingRequestsHours), raises 7141
 * once when lifecycle.renewalOverdueDays overdue, and stops counting when a request for its FQDN arrives. The
 * context's transition listeners sees every committed transition, the intake's rejections included.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../services/domain/index.js';
import { createMonitors } from '../../services/app/index.js';
import { runRenewalWatch } from '../../services/lifecycle/index.js';
import { transitionEvent } from '../../services/notify/event-map.js';
import { makeSampleRequest } from '../../services/pki/index.js';
import { makeHarness, type Harness } from '../helpers/pipeline-harness.js';

const DAY = 86_400_000;
let now = new Date(); // the files' mtimes are real: the intake compares them with this clock
const clock = { now: () => now };
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('renewal watch, monitor 7006 and the transition hook', () => {
  it('counts a due renewal, warns on missing requests, raises 7141 once, and clears when a request arrives', async () => {
    h = await makeHarness({ clock });
    const events: EventRecord[] = [];
    const seen: string[] = [];
    h.app.ctx.events = { emit: (e) => events.push(e) };
    h.app.ctx.listeners.push({
      onTransition(t) {
        seen.push(t.to);
        const e = transitionEvent({ request: { id: t.requestId, fqdn: t.fqdn }, to: t.to, reason: t.reason, message: t.message, serialNumber: t.serialNumber ?? null });
        if (e) events.push(e);
      },
    });
    h.drop('web01.contoso.local.req', makeSampleRequest('web01.contoso.local').pem);
    h.drop('bad.contoso.local.req', 'not a request');
    now = new Date(Date.now() + 1000); // after the files' mtimes: the junk is judged, not waited for
    await h.settle();
    expect(seen).toEqual(expect.arrayContaining(['rejected', 'checked', 'submitted', 'issued', 'verified', 'packaged']));
    const issued = events.find((e) => e.key === 'request.issued')!;
    expect(issued.values).toMatchObject({ fqdn: 'web01.contoso.local', serialNumber: expect.stringMatching(/^[0-9A-F]+$/) });
    expect(events.find((e) => e.key === 'request.rejected')!.values).toMatchObject({ fqdn: 'bad.contoso.local', reason: 'FILE_NOT_A_REQUEST' });

    const monitors = createMonitors(h.app.ctx, () => ({ state: 'healthy', message: 'watching' }));
    const arriving = async () => (await monitors.evaluate()).monitors.find((m) => m.eventId === 7006)!;
    const cert = (await h.app.ctx.store.certificates.findMany({ fqdn: 'web01.contoso.local' }))[0]!;
    const lifetime = new Date(cert.notAfter).getTime() - new Date(cert.notBefore).getTime();
    const dueAt = new Date(cert.notBefore).getTime() + lifetime * 0.6667;

    now = new Date(dueAt - DAY);
    expect(await runRenewalWatch(h.app.ctx)).toEqual({ waiting: 0, overdue: [] });
    expect((await arriving()).state).toBe('healthy');

    now = new Date(dueAt + DAY);
    expect(await runRenewalWatch(h.app.ctx)).toEqual({ waiting: 1, overdue: [] });
    expect(await arriving()).toMatchObject({ state: 'warning', message: expect.stringContaining('1 certificate(s) are due for renewal but no request arrived') });

    now = new Date(dueAt + 8 * DAY);
    expect((await runRenewalWatch(h.app.ctx)).overdue).toEqual([{ fqdn: 'web01.contoso.local', serialNumber: cert.serialNumber, dueAt: expect.any(String) }]);
    expect((await runRenewalWatch(h.app.ctx)).overdue).toEqual([]); // once per certificate
    expect(events.filter((e) => e.key === 'renewal.overdue')).toHaveLength(1);

    // A request for the FQDN (here a new key, held for approval) is the renewal on its way.
    h.drop('web01.contoso.local.req', makeSampleRequest('web01.contoso.local').pem);
    await h.settle();
    expect(seen).toContain('awaiting_approval');
    expect(events.some((e) => e.key === 'request.held')).toBe(true);
    expect((await runRenewalWatch(h.app.ctx)).waiting).toBe(0);
    expect((await arriving()).state).toBe('healthy');
  });
});
