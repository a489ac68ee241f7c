import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ctx, runAsTenant } from '../../platform/context.ts';
import { addUser } from '../../platform/identity/testing.ts';
import { DRIVERS, getWithHost, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { searchCatalog } from '../catalog/search.ts';
import { getProduct } from '../catalog/service.ts';
import { onStorefront } from './service.ts';

describe.each(DRIVERS)('storefronts, customer groups and visibility, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let rival: TestTenant;
  const tag = Math.random().toString(36).slice(2, 8);

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Outillage Martin');
    rival = await t.newTenant('Rival Négoce');
  });
  afterAll(() => t.close());

  const api = (tenant: TestTenant, method: string, path: string, body?: unknown) =>
    t.api(method, path, { token: tenant.token, ...(body !== undefined ? { body } : {}) });

  describe('storefronts', () => {
    it('creates a white-label storefront with its domain and theme; the web app reads the theme by Host', async () => {
      const host = `pro-distrib-${tag}.example.com`;
      const res = await api(acme, 'POST', '/api/v1/storefronts', {
        code: 'pro-distrib',
        name: 'Pro Distrib',
        domains: [host.toUpperCase()],
        theme: { colors: { primary: '#0b5fff' } },
        languages: ['fr', 'en'],
        currencies: ['EUR'],
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ code: 'pro-distrib', domains: [host], status: 'active' });
      expect(res.body.id).toMatch(/^sf_/);
      const pub = await getWithHost(t.url, `${host}:443`, '/api/v1/public/storefront');
      expect(pub.status).toBe(200);
      expect(pub.body).toEqual({
        id: res.body.id,
        name: 'Pro Distrib',
        theme: { logo_object_key: null, colors: { primary: '#0b5fff' }, logo_url: null },
        languages: ['fr', 'en'],
        currencies: ['EUR'],
        default_language: 'fr',
        default_currency: 'EUR',
      });
      expect(
        (await getWithHost(t.url, `unknown-${tag}.example.com`, '/api/v1/public/storefront')).status,
      ).toBe(404);

      // Another tenant cannot take the host, nor see or change the storefront.
      const taken = await api(rival, 'POST', '/api/v1/storefronts', {
        code: 'mine',
        name: 'Mine',
        domains: [host],
      });
      expect(taken.status).toBe(409);
      expect((await api(rival, 'GET', `/api/v1/storefronts/${res.body.id}`)).status).toBe(404);
      expect((await api(rival, 'PATCH', `/api/v1/storefronts/${res.body.id}`, { name: 'Volé' })).status).toBe(
        404,
      );
      expect((await api(rival, 'DELETE', `/api/v1/storefronts/${res.body.id}`)).status).toBe(404);
      const list = await api(rival, 'GET', '/api/v1/storefronts');
      expect(list.body.data.map((s: { id: string }) => s.id)).not.toContain(res.body.id);

      // Moving to a new domain frees the old one; deactivating hides the theme.
      const newHost = `shop-${tag}.example.com`;
      const moved = await api(acme, 'PATCH', `/api/v1/storefronts/${res.body.id}`, { domains: [newHost] });
      expect(moved.status).toBe(200);
      expect(moved.body.domains).toEqual([newHost]);
      expect((await getWithHost(t.url, host, '/api/v1/public/storefront')).status).toBe(404);
      expect((await getWithHost(t.url, newHost, '/api/v1/public/storefront')).status).toBe(200);
      await api(acme, 'PATCH', `/api/v1/storefronts/${res.body.id}`, { status: 'inactive' });
      expect((await getWithHost(t.url, newHost, '/api/v1/public/storefront')).status).toBe(404);
      const freed = await api(rival, 'POST', '/api/v1/storefronts', {
        code: 'freed',
        name: 'Freed',
        domains: [host],
      });
      expect(freed.status).toBe(201);
      expect((await api(rival, 'DELETE', `/api/v1/storefronts/${freed.body.id}`)).status).toBe(200);
    });

    it('names each wrong field: host, currency, duplicate domain; a code used twice is a conflict', async () => {
      const res = await api(acme, 'POST', '/api/v1/storefronts', {
        code: 'broken',
        name: 'Broken',
        domains: ['localhost', 'ok.example.com', 'OK.example.com'],
        currencies: ['XXX'],
      });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(
        expect.arrayContaining(['/domains/0', '/domains', '/currencies/0']),
      );
      await api(acme, 'POST', '/api/v1/storefronts', { code: 'twice', name: 'One' });
      expect((await api(acme, 'POST', '/api/v1/storefronts', { code: 'twice', name: 'Two' })).status).toBe(
        409,
      );
    });
  });

  describe('customer groups', () => {
    it('groups accounts; membership is idempotent; another tenant gets 404 for the group and cannot add its accounts', async () => {
      const group = await api(acme, 'POST', '/api/v1/customer-groups', {
        code: 'distributors',
        name: 'Distributeurs',
      });
      expect(group.status).toBe(201);
      const account = await api(acme, 'POST', '/api/v1/accounts', { name: 'Électro Sud' });
      const path = `/api/v1/customer-groups/${group.body.id}/members/${account.body.id}`;
      const add = (tenant: TestTenant, groupId: string) =>
        api(tenant, 'POST', `/api/v1/customer-groups/${groupId}/members`, { account_id: account.body.id });
      expect((await add(acme, group.body.id)).status).toBe(200);
      expect((await add(acme, group.body.id)).status).toBe(200);
      expect((await api(acme, 'GET', `/api/v1/customer-groups/${group.body.id}`)).body.member_count).toBe(1);
      const mine = await api(acme, 'GET', `/api/v1/customer-groups?account_id=${account.body.id}`);
      expect(mine.body.data.map((g: { id: string }) => g.id)).toEqual([group.body.id]);
      const members = await api(acme, 'GET', `/api/v1/customer-groups/${group.body.id}/members`);
      expect(members.body.data).toEqual([expect.objectContaining({ account_id: account.body.id })]);

      expect((await api(rival, 'GET', `/api/v1/customer-groups/${group.body.id}`)).status).toBe(404);
      expect((await add(rival, group.body.id)).status).toBe(404);
      const rivalGroup = await api(rival, 'POST', '/api/v1/customer-groups', {
        code: 'distributors',
        name: 'Mine',
      });
      expect(rivalGroup.status).toBe(201);
      const foreign = await add(rival, rivalGroup.body.id);
      expect(foreign.status).toBe(404);

      expect((await api(acme, 'DELETE', path)).status).toBe(200);
      expect((await api(acme, 'DELETE', path)).status).toBe(404);
      expect(
        (await api(acme, 'PATCH', `/api/v1/customer-groups/${group.body.id}`, { name: 'Distri' })).body.name,
      ).toBe('Distri');
    });
  });

  describe('visibility: a buyer never sees a hidden product (search, facets, counts, by ID)', () => {
    const ids: Record<string, string> = {};
    let buyerUserId: string;
    let otherBuyerUserId: string;

    beforeAll(async () => {
      const post = async (path: string, body: unknown) => {
        const res = await api(acme, 'POST', path, body);
        if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
        return res.body.id as string;
      };
      ids.family = await post('/api/v1/catalog/families', { code: 'tools', name: { fr: 'Outils' } });
      ids.tools = await post('/api/v1/catalog/categories', { code: 'tools', name: { fr: 'Outillage' } });
      ids.power = await post('/api/v1/catalog/categories', {
        code: 'power',
        name: { fr: 'Électroportatif' },
        parent_id: ids.tools,
      });
      ids.cables = await post('/api/v1/catalog/categories', { code: 'cables', name: { fr: 'Câbles' } });
      ids.brand = await post('/api/v1/catalog/brands', { code: 'makita', name: 'Makita' });
      const product = (code: string, name: string, category: string) =>
        post('/api/v1/catalog/products', {
          code,
          family_id: ids.family,
          brand_id: ids.brand,
          status: 'active',
          name: { fr: name },
          category_ids: [category],
          variants: [{ sku: code }],
        });
      ids.drill = await product('PERC-18V', 'Perceuse visseuse 18 V', ids.power!);
      ids.saw = await product('SCIE-18V', 'Scie circulaire 18 V', ids.power!);
      ids.cable = await product('CABLE-3G', 'Câble électrique 3G', ids.cables!);
      ids.storefront = await post('/api/v1/storefronts', { code: 'vis-shop', name: 'Vis Shop' });
      ids.group = await post('/api/v1/customer-groups', { code: 'vis-group', name: 'Vis group' });
      ids.account = await post('/api/v1/accounts', { name: 'ACME' });
      ids.other = await post('/api/v1/accounts', { name: 'Other' });
      await api(acme, 'POST', `/api/v1/customer-groups/${ids.group}/members`, { account_id: ids.account });
      buyerUserId = await addUser(t, acme.tenantId, {
        email: `buyer-${tag}@acme.example`,
        kind: 'buyer',
        accountId: ids.account!,
      });
      otherBuyerUserId = await addUser(t, acme.tenantId, {
        email: `other-${tag}@acme.example`,
        kind: 'buyer',
        accountId: ids.other!,
      });
      const rule = (
        subject_type: string,
        subject_id: string,
        target_type: string,
        target_id: string | null,
        effect: string,
      ) => post('/api/v1/visibility-rules', { subject_type, subject_id, target_type, target_id, effect });
      // The shop sells only power tools; the group may not see the saw; ACME may see cables all the same.
      await rule('storefront', ids.storefront!, 'all', null, 'deny');
      await rule('storefront', ids.storefront!, 'category', ids.power!, 'allow');
      await rule('group', ids.group!, 'product', ids.saw!, 'deny');
      await rule('account', ids.account!, 'category', ids.cables!, 'allow');
    });

    const asBuyer = <T>(userId: string | null, fn: (ctx: Ctx) => Promise<T>, storefront = true) =>
      runAsTenant(
        t.db,
        {
          tenantId: acme.tenantId,
          actor: userId
            ? { type: 'user', id: userId, userId, displayName: 'Buyer', permissions: new Set() }
            : {
                type: 'system',
                id: 'anonymous',
                userId: null,
                displayName: 'Visitor',
                permissions: new Set(),
              },
        },
        (ctx) => fn(storefront ? onStorefront(ctx, ids.storefront!) : ctx),
      );
    const seenBy = async (userId: string | null) => {
      const r = await asBuyer(userId, (ctx) => searchCatalog(ctx, { limit: 50 }, []));
      return {
        codes: r.data.map((h) => h.code).sort(),
        total: r.total,
        brandCount: r.facets?.brands[0]?.count ?? 0,
        categories: Object.fromEntries((r.facets?.categories ?? []).map((c) => [c.id, c.count])),
      };
    };
    const readable = (userId: string | null, productId: string) =>
      asBuyer(userId, (ctx) => getProduct(ctx, productId)).then(
        () => 200,
        (e) => (e.status as number) ?? 500,
      );

    it('ACME (group + account rules) sees the drill and the cable, not the saw — hits, total and facet counts agree', async () => {
      const seen = await seenBy(buyerUserId);
      expect(seen.codes).toEqual(['CABLE-3G', 'PERC-18V']);
      expect(seen.total).toBe(2);
      expect(seen.brandCount).toBe(2);
      expect(seen.categories).toEqual({ [ids.tools!]: 1, [ids.power!]: 1, [ids.cables!]: 1 });
      const saw = await asBuyer(buyerUserId, (ctx) => searchCatalog(ctx, { q: 'scie', limit: 10 }, []));
      expect(saw.total).toBe(0);
      expect(saw.data).toEqual([]);
      const bySku = await asBuyer(buyerUserId, (ctx) => searchCatalog(ctx, { q: 'SCIE-18', limit: 10 }, []));
      expect(bySku.data).toEqual([]);
      expect(await readable(buyerUserId, ids.saw!)).toBe(404);
      expect(await readable(buyerUserId, ids.cable!)).toBe(200);
    });

    it('another buyer of the shop sees only the power tools; a visitor too; the shop rules do not apply elsewhere', async () => {
      expect((await seenBy(otherBuyerUserId)).codes).toEqual(['PERC-18V', 'SCIE-18V']);
      expect((await seenBy(null)).codes).toEqual(['PERC-18V', 'SCIE-18V']);
      expect(await readable(otherBuyerUserId, ids.cable!)).toBe(404);
      // Outside the storefront, only the group and account rules apply to ACME.
      const outside = await asBuyer(buyerUserId, (ctx) => searchCatalog(ctx, { limit: 50 }, []), false);
      expect(outside.data.map((h) => h.code).sort()).toEqual(['CABLE-3G', 'PERC-18V']);
    });

    it('staff see the whole catalogue, through HTTP too', async () => {
      const res = await api(acme, 'GET', '/api/v1/catalog/search?limit=50');
      expect(res.body.total).toBe(3);
      expect((await api(acme, 'GET', `/api/v1/catalog/products/${ids.saw}`)).status).toBe(200);
    });

    it('a rule change applies at once; a rule for the same subject and target twice is a conflict', async () => {
      const dup = await api(acme, 'POST', '/api/v1/visibility-rules', {
        subject_type: 'group',
        subject_id: ids.group,
        target_type: 'product',
        target_id: ids.saw,
        effect: 'allow',
      });
      expect(dup.status).toBe(409);
      const rules = await api(acme, 'GET', `/api/v1/visibility-rules?subject_id=${ids.group}`);
      expect(rules.body.data).toHaveLength(1);
      const ruleId = rules.body.data[0].id;
      await api(acme, 'PATCH', `/api/v1/visibility-rules/${ruleId}`, { effect: 'allow' });
      expect((await seenBy(buyerUserId)).codes).toEqual(['CABLE-3G', 'PERC-18V', 'SCIE-18V']);
      await api(acme, 'PATCH', `/api/v1/visibility-rules/${ruleId}`, { effect: 'deny' });
      expect((await seenBy(buyerUserId)).codes).toEqual(['CABLE-3G', 'PERC-18V']);
    });

    it('refuses rules naming the wrong kind of ID or another tenant’s objects, naming the field; hides nothing across tenants', async () => {
      const wrongKind = await api(acme, 'POST', '/api/v1/visibility-rules', {
        subject_type: 'group',
        subject_id: ids.account,
        target_type: 'product',
        target_id: ids.drill,
        effect: 'deny',
      });
      expect(wrongKind.status).toBe(400);
      expect(wrongKind.body.errors).toEqual([expect.objectContaining({ pointer: '/subject_id' })]);
      const foreign = await api(rival, 'POST', '/api/v1/visibility-rules', {
        subject_type: 'account',
        subject_id: ids.account,
        target_type: 'product',
        target_id: ids.drill,
        effect: 'deny',
      });
      expect(foreign.status).toBe(400);
      expect(foreign.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
        '/subject_id',
        '/target_id',
      ]);
      const rules = await api(acme, 'GET', '/api/v1/visibility-rules?limit=200');
      const id = rules.body.data[0].id;
      expect((await api(rival, 'GET', `/api/v1/visibility-rules/${id}`)).status).toBe(404);
      expect((await api(rival, 'DELETE', `/api/v1/visibility-rules/${id}`)).status).toBe(404);
      expect((await api(rival, 'GET', '/api/v1/visibility-rules')).body.data).toEqual([]);
      // A buyer of another tenant: acme's products are not found at all, visible or not.
      const rivalAccount = (await api(rival, 'POST', '/api/v1/accounts', { name: 'Rival buyer co' })).body.id;
      const rivalBuyer = await addUser(t, rival.tenantId, {
        email: `rb-${tag}@rival.example`,
        kind: 'buyer',
        accountId: rivalAccount,
      });
      const asRival = await runAsTenant(
        t.db,
        {
          tenantId: rival.tenantId,
          actor: {
            type: 'user',
            id: rivalBuyer,
            userId: rivalBuyer,
            displayName: 'B',
            permissions: new Set(),
          },
        },
        async (ctx) => ({
          hits: (await searchCatalog(ctx, { q: 'perceuse', limit: 10 }, [])).total,
          byId: await getProduct(ctx, ids.drill!).then(
            () => 200,
            (e) => e.status,
          ),
        }),
      );
      expect(asRival).toEqual({ hits: 0, byId: 404 });
    });
  });
});
