import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';

describe.each(DRIVERS)('customer accounts API, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let rival: TestTenant;

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Acme Industrie');
    rival = await t.newTenant('Rival Distribution');
  });
  afterAll(() => t.close());

  const create = (tenant: TestTenant, body: object) =>
    t.api('POST', '/api/v1/accounts', { token: tenant.token, body });

  it('creates a French customer with a checked SIRET and VAT number, normalised', async () => {
    const res = await create(acme, {
      name: 'Boulangerie Martin',
      siret: '732 829 320 00074',
      vat_number: 'fr 44 732829320',
      external_ref: 'C-1',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Boulangerie Martin',
      country: 'FR',
      siret: '73282932000074',
      vat_number: 'FR44732829320',
      external_ref: 'C-1',
      status: 'active',
    });
    expect(res.body.id).toMatch(/^acct_[0-9a-z]{26}$/);
    const got = await t.api('GET', `/api/v1/accounts/${res.body.id}`, { token: acme.token });
    expect(got.body).toEqual(res.body);
  });

  it('refuses a VAT number whose key does not match, naming the field', async () => {
    const res = await create(acme, { name: 'Mauvais Numéro', vat_number: 'FR45732829320' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { in: 'body', pointer: '/vat_number', detail: 'the key does not match the SIREN' },
    ]);
  });

  it('refuses a SIRET for a company outside France', async () => {
    const res = await create(acme, { name: 'Bau Schmidt', country: 'DE', siret: '73282932000074' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].pointer).toBe('/siret');
  });

  it('keeps the ERP reference unique within a tenant, but not across tenants', async () => {
    await create(acme, { name: 'Premier', external_ref: 'ERP-42' });
    const dup = await create(acme, { name: 'Second', external_ref: 'ERP-42' });
    expect(dup.status).toBe(409);
    expect(dup.body.type).toBe('/problems/conflict');
    const elsewhere = await create(rival, { name: 'Ailleurs', external_ref: 'ERP-42' });
    expect(elsewhere.status).toBe(201);
  });

  it('updates only the fields sent, publishes the change, and clears a field with null', async () => {
    const created = await create(acme, { name: 'Garage Dupont', legal_name: 'Garage Dupont SARL' });
    const res = await t.api('PATCH', `/api/v1/accounts/${created.body.id}`, {
      token: acme.token,
      body: { status: 'blocked', legal_name: null },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Garage Dupont', legal_name: null, status: 'blocked' });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.updated_at));
    const events: { type: string; payload: unknown }[] = [];
    t.comptoir.dispatcher.subscribe('account.updated', 'test', async (e) => {
      events.push({ type: e.type, payload: e.payload });
    });
    await t.comptoir.dispatcher.drain();
    expect(events).toContainEqual({
      type: 'account.updated',
      payload: { account_id: created.body.id, changed: expect.arrayContaining(['status', 'legal_name']) },
    });
  });

  it('an empty update is refused', async () => {
    const created = await create(acme, { name: 'Vide' });
    const res = await t.api('PATCH', `/api/v1/accounts/${created.body.id}`, { token: acme.token, body: {} });
    expect(res.status).toBe(400);
  });

  it('lists with cursor pagination, in creation order, without gaps or duplicates', async () => {
    const tenant = await t.newTenant('Pagination');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await create(tenant, { name: `Client ${i}` })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/api/v1/accounts?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await t.api('GET', q, { token: tenant.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((a: { id: string }) => a.id));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
  });

  it('filters by status, ERP reference and name prefix (case-insensitive, wildcards taken literally)', async () => {
    const tenant = await t.newTenant('Filters');
    await create(tenant, { name: 'Menuiserie Leroy', external_ref: 'M-1' });
    await create(tenant, { name: 'menuiserie Petit', status: 'blocked' });
    await create(tenant, { name: 'Hôtel du Lac' });
    await create(tenant, { name: '100% Bois' });
    const names = async (q: string) =>
      (await t.api('GET', `/api/v1/accounts?${q}`, { token: tenant.token })).body.data.map(
        (a: { name: string }) => a.name,
      );
    expect(await names('name=MENUISERIE')).toEqual(['Menuiserie Leroy', 'menuiserie Petit']);
    expect(await names('name=menuiserie&status=active')).toEqual(['Menuiserie Leroy']);
    expect(await names('external_ref=M-1')).toEqual(['Menuiserie Leroy']);
    expect(await names('name=%25')).toEqual([]);
    expect(await names('name=100%25')).toEqual(['100% Bois']);
  });

  describe('isolation between tenants', () => {
    let secret: { id: string };

    beforeAll(async () => {
      secret = (await create(acme, { name: 'Client Confidentiel', external_ref: 'SECRET-1' })).body;
    });

    it('another tenant gets 404 for the ID, exactly like an ID that never existed', async () => {
      const res = await t.api('GET', `/api/v1/accounts/${secret.id}`, { token: rival.token });
      expect(res.status).toBe(404);
      const never = await t.api('GET', '/api/v1/accounts/acct_01jd5q6m3xf0k8y2v7r9t4w1zc', {
        token: rival.token,
      });
      expect({ ...res.body, instance: null, request_id: null, detail: null }).toEqual({
        ...never.body,
        instance: null,
        request_id: null,
        detail: null,
      });
    });

    it('another tenant cannot change it', async () => {
      const res = await t.api('PATCH', `/api/v1/accounts/${secret.id}`, {
        token: rival.token,
        body: { name: 'Volé' },
      });
      expect(res.status).toBe(404);
      const still = await t.api('GET', `/api/v1/accounts/${secret.id}`, { token: acme.token });
      expect(still.body.name).toBe('Client Confidentiel');
    });

    it('another tenant never sees it in lists or filters', async () => {
      const all = await t.api('GET', '/api/v1/accounts?limit=200', { token: rival.token });
      expect(all.body.data.map((a: { id: string }) => a.id)).not.toContain(secret.id);
      const byRef = await t.api('GET', '/api/v1/accounts?external_ref=SECRET-1', { token: rival.token });
      expect(byRef.body.data).toEqual([]);
    });

    it('a cursor made from another tenant’s ID reveals nothing', async () => {
      const cursor = Buffer.from(JSON.stringify({ k: [secret.id] })).toString('base64url');
      const res = await t.api('GET', `/api/v1/accounts?cursor=${cursor}`, { token: rival.token });
      expect(res.status).toBe(200);
      expect(res.body.data.every((a: { name: string }) => a.name !== 'Client Confidentiel')).toBe(true);
    });

    it('an ERP reference used by another tenant does not conflict', async () => {
      const res = await create(rival, { name: 'Mine', external_ref: 'SECRET-1' });
      expect(res.status).toBe(201);
    });
  });
});
