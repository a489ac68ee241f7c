import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { type Received, startSmtp } from '../../test/smtp-server.ts';
import { advanceClock } from './clock.ts';
import { addUser, auditOf, login, withSession } from './testing.ts';

/** The token a mail carries ("… code: <token>"), quoted-printable soft breaks undone. */
function tokenIn(mail: Received): string {
  const text = mail.raw.replace(/=\r?\n/g, '');
  const m = /code: ([A-Za-z0-9_-]{43})/.exec(text);
  if (!m) throw new Error('no token in the mail');
  return m[1]!;
}

const PASSWORD = 'an old long passphrase';

describe.each(DRIVERS)('invitations and password reset by mail, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  const mailsTo = (address: string) => smtp.inbox.filter((m) => m.to.includes(address));
  const deliver = () => t.comptoir.mailer.drain();

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startTestApp(driver, {
      config: { SMTP_URL: smtp.url, MAIL_FROM: 'Comptoir <no-reply@comptoir.test>' },
    });
    acme = await t.newTenant('Acme Recovery');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('invites a buyer of a customer account by mail; the link sets the password once, then the buyer logs in', async () => {
    const account = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      body: { name: 'Hôtel du Lac' },
    });
    const invited = await t.api('POST', '/api/v1/users/invitations', {
      token: acme.token,
      body: { email: 'achats@hotel-du-lac.example', kind: 'buyer', account_id: account.body.id },
    });
    expect(invited.status).toBe(201);
    expect(invited.body).not.toHaveProperty('token');
    expect(await deliver()).toBeGreaterThanOrEqual(1);
    const [mail] = mailsTo('achats@hotel-du-lac.example');
    expect(mail!.raw).toMatch(/Subject: You are invited to Acme Recovery/);
    const token = tokenIn(mail!);
    const body = {
      token,
      password: 'vue sur le lac, chambre 12',
      display_name: 'Service achats',
      tenant: acme.slug,
    };

    const weak = await t.api('POST', '/api/v1/auth/invitations/accept', {
      body: { ...body, password: 'password1234' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors[0]).toMatchObject({
      pointer: '/password',
      detail: expect.stringMatching(/too common/),
    });

    const accepted = await t.api('POST', '/api/v1/auth/invitations/accept', { body });
    expect(accepted.status).toBe(200);
    expect(accepted.body.user_id).toBe(invited.body.user_id);
    const replay = await t.api('POST', '/api/v1/auth/invitations/accept', { body });
    expect(replay.status).toBe(400);
    expect(replay.body.errors[0].pointer).toBe('/token');

    const { res, session } = await login(t, {
      email: 'achats@hotel-du-lac.example',
      password: body.password,
      tenant: acme.slug,
    });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ kind: 'buyer', account_id: account.body.id });
    const me = await t.api('GET', '/api/v1/auth/session', { headers: withSession(session!) });
    expect(me.body.user).toMatchObject({ email_verified: true, display_name: 'Service achats' });
    const events = await auditOf(t, acme.tenantId, 'identity.invitation.accept');
    expect(events.map((e) => e.outcome)).toEqual(expect.arrayContaining(['success', 'failure']));
    // The sent mail's body (which held the token) is not kept.
    const outbox = await t.db.session((s) =>
      s.query<{ text_body: string; status: string }>(`select text_body, status from mail_outbox`),
    );
    expect(outbox.every((m) => m.status === 'sent' && m.text_body === '[sent; body removed]')).toBe(true);
  });

  it('refuses an expired invitation (after 7 days) and audits the failure', async () => {
    await t.api('POST', '/api/v1/users/invitations', {
      token: acme.token,
      body: { email: 'late@acme.example', kind: 'staff' },
    });
    await deliver();
    const token = tokenIn(mailsTo('late@acme.example')[0]!);
    const undo = advanceClock(7 * 86_400_000 + 60_000);
    try {
      const res = await t.api('POST', '/api/v1/auth/invitations/accept', {
        body: { token, password: 'finally arriving late', display_name: 'Late', tenant: acme.slug },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { in: 'body', pointer: '/token', detail: 'is not valid: it may have expired or been used already' },
      ]);
    } finally {
      undo();
    }
    expect((await auditOf(t, acme.tenantId, 'identity.invitation.accept')).at(-1)).toMatchObject({
      outcome: 'failure',
    });
  });

  it('answers a reset request the same whether the user exists or not; the mailed token resets once, unlocks and ends sessions', async () => {
    const email = 'marc@acme.example';
    const userId = await addUser(t, acme.tenantId, { email, password: PASSWORD });
    const session = (await login(t, { email, password: PASSWORD, tenant: acme.slug })).session!;

    const known = await t.api('POST', '/api/v1/auth/password-reset', { body: { email, tenant: acme.slug } });
    const unknown = await t.api('POST', '/api/v1/auth/password-reset', {
      body: { email: 'nobody@acme.example', tenant: acme.slug },
    });
    const noTenant = await t.api('POST', '/api/v1/auth/password-reset', {
      body: { email, tenant: 'nowhere' },
    });
    for (const r of [known, unknown, noTenant]) {
      expect(r.status).toBe(202);
      expect(r.body).toEqual({ status: 'accepted' });
    }
    await deliver();
    expect(mailsTo('nobody@acme.example')).toHaveLength(0);
    const token = tokenIn(mailsTo(email).at(-1)!);

    const weak = await t.api('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token, new_password: 'marc', tenant: acme.slug },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors[0].pointer).toBe('/new_password');
    const withEmail = await t.api('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token, new_password: 'marc-is-the-best-1', tenant: acme.slug },
    });
    expect(withEmail.body.errors[0].detail).toBe('must not contain your e-mail address');

    const ok = await t.api('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token, new_password: 'a brand new passphrase', tenant: acme.slug },
    });
    expect(ok.status).toBe(204);
    expect((await t.api('GET', '/api/v1/auth/session', { headers: withSession(session) })).status).toBe(401);
    const replay = await t.api('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token, new_password: 'another new passphrase', tenant: acme.slug },
    });
    expect(replay.status).toBe(400);
    expect(replay.body.errors[0].pointer).toBe('/token');
    expect((await login(t, { email, password: PASSWORD, tenant: acme.slug })).res.status).toBe(401);
    expect(
      (await login(t, { email, password: 'a brand new passphrase', tenant: acme.slug })).res.status,
    ).toBe(200);

    const confirms = await auditOf(t, acme.tenantId, 'identity.password_reset.confirm');
    expect(confirms.find((e) => e.outcome === 'success')).toMatchObject({
      resource_id: userId,
      metadata: { sessions_revoked: 1, unlocked: true },
    });
    expect(confirms.at(-1)).toMatchObject({ outcome: 'failure' });
    const requests = await auditOf(t, acme.tenantId, 'identity.password_reset.request');
    expect(requests.map((e) => e.outcome)).toEqual(['success', 'failure']);
  });

  it('sends a signed-in user a verification link that confirms the address once', async () => {
    await addUser(t, acme.tenantId, { email: 'verify@acme.example', password: PASSWORD });
    const s = (await login(t, { email: 'verify@acme.example', password: PASSWORD, tenant: acme.slug }))
      .session!;
    expect((await t.api('POST', '/api/v1/auth/email-verification', { headers: withSession(s) })).status).toBe(
      202,
    );
    await deliver();
    const token = tokenIn(mailsTo('verify@acme.example')[0]!);
    const ok = await t.api('POST', '/api/v1/auth/email-verification/confirm', {
      body: { token, tenant: acme.slug },
    });
    expect(ok.status).toBe(200);
    expect(
      (await t.api('POST', '/api/v1/auth/email-verification/confirm', { body: { token, tenant: acme.slug } }))
        .status,
    ).toBe(400);
    expect(
      (await t.api('GET', '/api/v1/auth/session', { headers: withSession(s) })).body.user.email_verified,
    ).toBe(true);
  });
});
