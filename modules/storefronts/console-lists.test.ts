import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, login, withSession } from '../../platform/identity/testing.ts';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';

/**
 * What the console's customer-group and visibility-rule screens read (issue 7): the members of a
 * group with their accounts' names, and rules filtered by what they cover (a category, a product).
 */
const PASSWORD = 'a long enough passphrase for tests';

describe.each(DRIVERS)('lists for the console: group members and rules by target, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let rival: TestTenant;

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Quincaillerie Centrale');
    rival = await t.newTenant('Concurrent Direct');
  });
  afterAll(() => t.close());

  const api = (tenant: TestTenant, method: string, path: string, body?: unknown) =>
    t.api(method, path, { token: tenant.token, ...(body !== undefined ? { body } : {}) });
  const post = async (tenant: TestTenant, path: string, body: unknown) => {
    const res = await api(tenant, 'POST', path, body);
    if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };

  it("a group's members are listed with their accounts' names, a page at a time; another tenant sees none", async () => {
    const group = await post(acme, '/api/v1/customer-groups', { code: 'artisans', name: 'Artisans' });
    const names = ['Plomberie Petit', 'Électricité Blanc', 'Menuiserie Noir'];
    const accounts: string[] = [];
    for (const name of names) {
      const id = await post(acme, '/api/v1/accounts', { name });
      accounts.push(id);
      const added = await api(acme, 'POST', `/api/v1/customer-groups/${group}/members`, { account_id: id });
      expect(added.status).toBe(200);
      expect(added.body).toMatchObject({ group_id: group, account_id: id, account_name: name });
    }
    const first = await api(acme, 'GET', `/api/v1/customer-groups/${group}/members?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toBeTruthy();
    const second = await api(
      acme,
      'GET',
      `/api/v1/customer-groups/${group}/members?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`,
    );
    const listed = [...first.body.data, ...second.body.data] as {
      account_id: string;
      account_name: string;
    }[];
    expect(Object.fromEntries(listed.map((m) => [m.account_id, m.account_name]))).toEqual(
      Object.fromEntries(accounts.map((id, i) => [id, names[i]])),
    );
    expect(second.body.next_cursor).toBeNull();

    // A catalogue manager manages groups but may not read customer accounts: IDs without names.
    const email = `merch-${Math.random().toString(36).slice(2, 8)}@quincaillerie.example`;
    await addUser(t, acme.tenantId, { email, password: PASSWORD, roles: ['catalogue_manager'] });
    const { session } = await login(t, { email, password: PASSWORD, tenant: acme.slug });
    const asManager = await t.api('GET', `/api/v1/customer-groups/${group}/members?limit=10`, {
      headers: withSession(session!),
    });
    expect(asManager.status).toBe(200);
    expect(asManager.body.data).toHaveLength(3);
    for (const m of asManager.body.data) expect(m.account_name).toBeNull();
    expect(JSON.stringify(asManager.body)).not.toContain('Plomberie');

    const foreign = await api(rival, 'GET', `/api/v1/customer-groups/${group}/members`);
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body)).not.toContain('Plomberie');
  });

  it('rules are filtered by what they cover (a category, a product, the whole catalogue) and by whom; another tenant finds none', async () => {
    const family = await post(acme, '/api/v1/catalog/families', { code: 'tools', name: { fr: 'Outils' } });
    const tools = await post(acme, '/api/v1/catalog/categories', {
      code: 'tools',
      name: { fr: 'Outillage' },
    });
    const gloves = await post(acme, '/api/v1/catalog/categories', { code: 'gloves', name: { fr: 'Gants' } });
    const hammer = await post(acme, '/api/v1/catalog/products', {
      code: 'MARTEAU',
      family_id: family,
      status: 'active',
      name: { fr: 'Marteau de coffreur' },
      category_ids: [tools],
      variants: [{ sku: 'MARTEAU-500' }],
    });
    const group = await post(acme, '/api/v1/customer-groups', { code: 'pme', name: 'PME' });
    const account = await post(acme, '/api/v1/accounts', { name: 'Garage Central' });
    const rule = (subject_type: string, subject_id: string, target_type: string, target_id: string | null) =>
      post(acme, '/api/v1/visibility-rules', {
        subject_type,
        subject_id,
        target_type,
        ...(target_id ? { target_id } : {}),
        effect: 'deny',
      });
    const hideTools = await rule('group', group, 'category', tools);
    const hideGloves = await rule('group', group, 'category', gloves);
    const hideHammer = await rule('account', account, 'product', hammer);
    const hideAll = await rule('account', account, 'all', null);
    const ids = async (query: string, tenant = acme) => {
      const res = await api(tenant, 'GET', `/api/v1/visibility-rules?${query}`);
      expect(res.status, query).toBe(200);
      return (res.body.data as { id: string }[]).map((r) => r.id).sort();
    };

    expect(await ids(`target_id=${tools}`)).toEqual([hideTools]);
    expect(await ids('target_type=category')).toEqual([hideTools, hideGloves].sort());
    expect(await ids(`target_type=product&target_id=${hammer}`)).toEqual([hideHammer]);
    expect(await ids('target_type=all')).toEqual([hideAll]);
    expect(await ids(`subject_type=account&subject_id=${account}&target_type=product`)).toEqual([hideHammer]);
    expect(await ids(`subject_id=${group}&target_id=${gloves}`)).toEqual([hideGloves]);
    expect(await ids(`subject_id=${group}&target_id=${hammer}`)).toEqual([]);

    // A filter naming something that is not a category or product ID, or an unknown kind: 400 naming it.
    const bad = await api(acme, 'GET', '/api/v1/visibility-rules?target_type=shelf');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('target_type');
    const badId = await api(acme, 'GET', '/api/v1/visibility-rules?target_id=not-an-id');
    expect(badId.status).toBe(400);
    expect(JSON.stringify(badId.body)).toContain('target_id');

    // Another tenant's filter on these IDs finds nothing of ours.
    expect(await ids(`target_id=${tools}`, rival)).toEqual([]);
    expect(await ids('target_type=category', rival)).toEqual([]);
  });
});
