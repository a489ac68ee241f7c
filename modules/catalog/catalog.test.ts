import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';

const SHA = 'a'.repeat(64);

describe.each(DRIVERS)('catalogue API, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let rival: TestTenant;
  const api = (
    tenant: TestTenant,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) =>
    t.api(method, `/api/v1/catalog${path}`, {
      token: tenant.token,
      ...(body !== undefined ? { body } : {}),
      ...(headers ? { headers } : {}),
    });

  // A small known catalogue for Acme.
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Acme Industrie');
    rival = await t.newTenant('Rival Distribution');
    const fam = await api(acme, 'POST', '/families', {
      code: 'drills',
      name: { fr: 'Perceuses', en: 'Drills' },
      attributes: [
        {
          code: 'voltage',
          type: 'number',
          unit: 'V',
          label: { fr: 'Tension', en: 'Voltage' },
          filterable: true,
          required: true,
        },
        {
          code: 'chuck',
          type: 'enum',
          label: { fr: 'Mandrin', en: 'Chuck' },
          values: [
            { code: 'keyless', label: { fr: 'Auto-serrant', en: 'Keyless' } },
            { code: 'sds', label: { fr: 'SDS-Plus', en: 'SDS-Plus' } },
          ],
          filterable: true,
        },
        { code: 'brushless', type: 'boolean', label: { fr: 'Sans charbons', en: 'Brushless' } },
      ],
    });
    expect(fam.status, JSON.stringify(fam.body)).toBe(201);
    ids.family = fam.body.id;
    const cat = async (code: string, name: object, parent?: string, active = true) => {
      const r = await api(acme, 'POST', '/categories', {
        code,
        name,
        ...(parent ? { parent_id: parent } : {}),
        active,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    };
    ids.tools = await cat('tools', { fr: 'Outillage', en: 'Tools' });
    ids.power = await cat('power-tools', { fr: 'Électroportatif', en: 'Power tools' }, ids.tools);
    ids.drills = await cat('drills', { fr: 'Perçage', en: 'Drilling' }, ids.power);
    ids.hand = await cat('hand-tools', { fr: 'Outillage à main', en: 'Hand tools' }, ids.tools);
    ids.archive = await cat('archive', { fr: 'Archives' }, undefined, false);
    ids.makita = (await api(acme, 'POST', '/brands', { code: 'makita', name: 'Makita' })).body.id;
    ids.bosch = (await api(acme, 'POST', '/brands', { code: 'bosch', name: 'Bosch' })).body.id;
  });
  afterAll(() => t.close());

  const product = (tenant: TestTenant, body: object) => api(tenant, 'POST', '/products', body);

  it('creates a product with translations and variants, and reads it back with per-field fallback', async () => {
    const res = await product(acme, {
      code: 'PERC-18V',
      family_id: ids.family,
      brand_id: ids.makita,
      status: 'active',
      name: { fr: 'Perceuse-visseuse sans fil 18 V', en: 'Cordless drill driver 18 V' },
      description: { fr: 'Mandrin auto-serrant, moteur sans charbons.' },
      attributes: { chuck: 'keyless', brushless: true },
      category_ids: [ids.drills],
      variants: [
        { sku: 'MAK-DDF485Z', gtin: '4006381333931', mpn: 'DDF485Z', attributes: { voltage: 18 } },
        { sku: 'MAK-DDF485RTJ', attributes: { voltage: 18 }, pack_size: 1, weight: 1.7 },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.drill = res.body.id;
    expect(res.body.id).toMatch(/^prod_/);
    expect(res.body.variants.map((v: { sku: string }) => v.sku)).toEqual(['MAK-DDF485Z', 'MAK-DDF485RTJ']);
    expect(res.body.category_ids).toEqual([ids.drills]);

    const en = await api(acme, 'GET', `/products/${ids.drill}`, undefined, {
      'accept-language': 'en-GB,en;q=0.9,fr;q=0.5',
    });
    expect(en.body.localized).toEqual({
      locale: 'en',
      name: 'Cordless drill driver 18 V',
      description: 'Mandrin auto-serrant, moteur sans charbons.',
      fallback: ['description'],
    });
    const fr = await api(acme, 'GET', `/products/${ids.drill}?locale=fr`, undefined, {
      'accept-language': 'en',
    });
    expect(fr.body.localized).toMatchObject({
      locale: 'fr',
      name: 'Perceuse-visseuse sans fil 18 V',
      fallback: [],
    });
    // A language the tenant does not offer falls back to the tenant's default (fr).
    const de = await api(acme, 'GET', `/products/${ids.drill}?locale=de`);
    expect(de.body.localized.locale).toBe('fr');

    const upd = await api(acme, 'PATCH', `/products/${ids.drill}`, {
      description: { fr: 'Mandrin auto-serrant 13 mm.', en: '13 mm keyless chuck.' },
    });
    expect(upd.status).toBe(200);
    const again = await api(acme, 'GET', `/products/${ids.drill}?locale=en`);
    expect(again.body.localized).toMatchObject({ description: '13 mm keyless chuck.', fallback: [] });
  });

  it('refuses a GTIN with a bad check digit, naming the field; nothing is saved', async () => {
    const res = await product(acme, {
      code: 'BAD-GTIN',
      family_id: ids.family,
      name: { fr: 'Mauvais code' },
      variants: [{ sku: 'BAD-1', gtin: '4006381333932' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('/problems/validation-error');
    expect(res.body.errors).toEqual([
      {
        in: 'body',
        pointer: '/variants/0/gtin',
        detail: 'is not a valid GTIN: the check digit should be 1, not 2',
      },
    ]);
    const list = await api(acme, 'GET', '/products?code=BAD-GTIN');
    expect(list.body.data).toEqual([]);
  });

  it('refuses attribute values that do not fit the family, naming each', async () => {
    const res = await product(acme, {
      code: 'BAD-ATTR',
      family_id: ids.family,
      name: { fr: 'Mauvais attributs', xx: 'nope' },
      attributes: { chuck: 'magnetic', colour: 'red' },
      variants: [{ sku: 'BAD-ATTR-1', attributes: { voltage: '18 V' } }],
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(
      ['/attributes/chuck', '/attributes/colour', '/name/xx', '/variants/0/attributes/voltage'].sort(),
    );
  });

  it('keeps SKUs unique per tenant, but the same SKU may exist in another tenant', async () => {
    const dup = await product(acme, {
      code: 'DUP',
      family_id: ids.family,
      name: { fr: 'Doublon' },
      variants: [{ sku: 'MAK-DDF485Z' }],
    });
    expect(dup.status).toBe(409);
    expect(dup.body.errors[0].pointer).toBe('/variants/0/sku');
    const rivalFamily = await api(rival, 'POST', '/families', { code: 'drills', name: { fr: 'Perceuses' } });
    const elsewhere = await product(rival, {
      code: 'PERC-18V',
      family_id: rivalFamily.body.id,
      name: { fr: 'Perceuse du concurrent' },
      status: 'active',
      variants: [{ sku: 'MAK-DDF485Z' }],
    });
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(201);
    ids.rivalFamily = rivalFamily.body.id;
  });

  it('checks order quantities against packaging and suggests the nearest valid ones', async () => {
    const res = await product(acme, {
      code: 'VIS-4X40',
      family_id: ids.family,
      name: { fr: 'Vis à bois 4 × 40', en: 'Wood screws 4 × 40' },
      status: 'active',
      category_ids: [ids.hand],
      brand_id: ids.bosch,
      variants: [{ sku: 'VIS-4X40-B200', pack_size: 200, min_order_qty: 400, attributes: { voltage: 0 } }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const v = res.body.variants[0];
    expect(v).toMatchObject({ pack_size: 200, order_multiple: 200, min_order_qty: 400 });
    const q = await api(acme, 'GET', `/variants/${v.id}/quantity-check?quantity=500`);
    expect(q.body).toMatchObject({ valid: false, lower: 400, higher: 600 });
    const ok = await api(acme, 'GET', `/variants/${v.id}/quantity-check?quantity=600`);
    expect(ok.body).toMatchObject({ valid: true, reasons: [] });
    const split = await api(acme, 'PATCH', `/variants/${v.id}`, { order_multiple: 300 });
    expect(split.status).toBe(400);
    expect(split.body.errors[0].pointer).toBe('/order_multiple');
  });

  it('bulk upsert is all-or-nothing, with errors naming the item index and field', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({
      code: `BULK-${i}`,
      family_code: 'drills',
      brand_code: 'bosch',
      status: 'active',
      name: { fr: `Foret béton ${i} mm`, en: `Concrete drill bit ${i} mm` },
      category_codes: ['drills'],
      variants: [{ sku: `FORET-${i}`, attributes: { voltage: 0 } }],
    }));
    const bad = structuredClone(items);
    bad[7]!.variants[0]!.sku = 'FORET-3'; // duplicate SKU within the call
    (bad[12]!.variants[0] as Record<string, unknown>).gtin = '12345670';
    (bad[12]!.variants[0] as Record<string, unknown>).gtin = '12345678';
    bad[20]!.family_code = 'nope';
    const refused = await api(acme, 'POST', '/products/bulk', { items: bad });
    expect(refused.status).toBe(400);
    expect(refused.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/items/7/variants/0/sku',
      '/items/12/variants/0/gtin',
      '/items/20/family_code',
    ]);
    expect((await api(acme, 'GET', '/products?code=BULK-0')).body.data).toEqual([]);

    const ok = await api(acme, 'POST', '/products/bulk', { items });
    expect(ok.status, JSON.stringify(ok.body).slice(0, 500)).toBe(200);
    expect(ok.body).toMatchObject({ created: 30, updated: 0, variants_created: 30 });
    // Again, with a change: the same products are updated, nothing duplicated.
    items[0]!.name = { fr: 'Foret béton 0 mm (nouveau)', en: 'Concrete drill bit 0 mm (new)' };
    const again = await api(acme, 'POST', '/products/bulk', { items });
    expect(again.body).toMatchObject({ created: 0, updated: 30, variants_updated: 30 });
    const p0 = await api(acme, 'GET', '/products?code=BULK-0');
    expect(p0.body.data[0].name.fr).toBe('Foret béton 0 mm (nouveau)');
  });

  it('filters products by category including its descendants, by brand and by attribute', async () => {
    const under = async (category: string) =>
      (await api(acme, 'GET', `/products?category_id=${category}&limit=200`)).body.data.map(
        (p: { code: string }) => p.code,
      );
    expect(await under(ids.tools!)).toContain('PERC-18V'); // tools > power > drills
    expect(await under(ids.tools!)).toContain('VIS-4X40');
    expect(await under(ids.power!)).toContain('PERC-18V');
    expect(await under(ids.power!)).not.toContain('VIS-4X40');
    expect(await under(ids.hand!)).toEqual(['VIS-4X40']);
    const makita = await api(acme, 'GET', `/products?brand_id=${ids.makita}`);
    expect(makita.body.data.map((p: { code: string }) => p.code)).toEqual(['PERC-18V']);
    const v18 = await api(acme, 'GET', '/products?attr=voltage:18&attr=chuck:keyless');
    expect(v18.body.data.map((p: { code: string }) => p.code)).toEqual(['PERC-18V']);
    const badAttr = await api(acme, 'GET', '/products?attr=brushless:true');
    expect(badAttr.status).toBe(400);
    expect(badAttr.body.errors[0]).toMatchObject({ in: 'query', pointer: '/attr' });
  });

  it('returns the category tree in the asked language, without inactive categories', async () => {
    const tree = await api(acme, 'GET', '/categories/tree?locale=en');
    expect(tree.body.data.map((c: { label: string }) => c.label)).toEqual(['Tools']);
    expect(tree.body.data[0].children.map((c: { label: string }) => c.label).sort()).toEqual([
      'Hand tools',
      'Power tools',
    ]);
    const all = await api(acme, 'GET', '/categories/tree?include_inactive=true');
    expect(all.body.data.map((c: { code: string }) => c.code).sort()).toEqual(['archive', 'tools']);
  });

  describe('search', () => {
    it('finds a French word with or without accents, and stems', async () => {
      for (const q of ['perceuse', 'PERCEUSES', 'perçeuse', 'béton', 'beton']) {
        const res = await api(acme, 'GET', `/search?q=${encodeURIComponent(q)}&locale=fr`);
        expect(res.status, q).toBe(200);
        expect(res.body.total, q).toBeGreaterThan(0);
      }
      const res = await api(acme, 'GET', `/search?q=${encodeURIComponent('perceuse')}&locale=fr`);
      expect(res.body.data[0]).toMatchObject({
        code: 'PERC-18V',
        name: 'Perceuse-visseuse sans fil 18 V',
        matched_by: 'text',
      });
      const en = await api(acme, 'GET', '/search?q=drills&locale=en');
      expect(en.body.data.map((h: { code: string }) => h.code)).toContain('PERC-18V');
      expect(en.body.data[0].name).toBe('Cordless drill driver 18 V');
    });

    it('finds by SKU prefix (case-insensitive) and by GTIN', async () => {
      const res = await api(acme, 'GET', '/search?q=mak-ddf');
      expect(res.body.data.map((h: { code: string }) => h.code)).toEqual(['PERC-18V']);
      expect(res.body.data[0].matched_by).toBe('sku');
      const g = await api(acme, 'GET', '/search?q=4006381333931');
      expect(g.body.data.map((h: { code: string }) => h.code)).toEqual(['PERC-18V']);
    });

    it('tolerates a typo', async () => {
      const res = await api(acme, 'GET', '/search?q=perseuse&locale=fr');
      expect(res.body.data.map((h: { code: string }) => h.code)).toContain('PERC-18V');
      expect(res.body.data[0].matched_by).toBe('fuzzy');
    });

    it('counts facets over all matches: brands, categories with ancestors, filterable attributes', async () => {
      const res = await api(acme, 'GET', '/search?q=foret&limit=5&locale=en');
      expect(res.body.total).toBe(30);
      expect(res.body.data).toHaveLength(5);
      expect(res.body.facets.brands).toEqual([{ id: ids.bosch, name: 'Bosch', count: 30 }]);
      const cats = Object.fromEntries(
        res.body.facets.categories.map((c: { name: string; count: number }) => [c.name, c.count]),
      );
      expect(cats).toEqual({ Drilling: 30, 'Power tools': 30, Tools: 30 });
      expect(res.body.facets.attributes).toEqual([
        {
          code: 'voltage',
          label: 'Voltage',
          type: 'number',
          unit: 'V',
          values: [{ value: 0, label: '0 V', count: 30 }],
        },
      ]);
      // The cursor walks every hit once.
      const seen = new Set<string>(res.body.data.map((h: { id: string }) => h.id));
      let cursor = res.body.next_cursor;
      while (cursor) {
        const page = await api(acme, 'GET', `/search?q=foret&limit=5&cursor=${cursor}`);
        expect(page.body.facets).toBeNull();
        for (const h of page.body.data) seen.add(h.id);
        cursor = page.body.next_cursor;
      }
      expect(seen.size).toBe(30);
      const all = await api(acme, 'GET', `/search?attr=chuck:keyless`);
      expect(all.body.facets.attributes.find((a: { code: string }) => a.code === 'chuck').values).toEqual([
        { value: 'keyless', label: 'Auto-serrant', count: 1 },
      ]);
    });

    it('sorts by name (either way, accents ignored), code or newest; the cursor keeps the order and refuses another', async () => {
      const walk = async (sort: string, locale = 'fr') => {
        const first = await api(acme, 'GET', `/search?q=foret&limit=7&locale=${locale}&sort=${sort}`);
        expect(first.status, JSON.stringify(first.body)).toBe(200);
        expect(first.body.total).toBe(30);
        const hits = [...first.body.data];
        let cursor = first.body.next_cursor;
        while (cursor) {
          const page = await api(
            acme,
            'GET',
            `/search?q=foret&limit=7&locale=${locale}&sort=${sort}&cursor=${cursor}`,
          );
          expect(page.status, JSON.stringify(page.body)).toBe(200);
          hits.push(...page.body.data);
          cursor = page.body.next_cursor;
        }
        expect(new Set(hits.map((h: { id: string }) => h.id)).size).toBe(30);
        return hits as { id: string; code: string; name: string }[];
      };
      const fold = (n: string) =>
        n
          .normalize('NFD')
          .replace(/[\u0300-\u036f]/g, '')
          .toLowerCase();
      const byte = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      // "Foret béton 10 mm" before "Foret béton 2 mm": text order, as a buyer's A→Z list shows it.
      const names = (await walk('name')).map((h) => h.name);
      expect(names).toEqual([...names].sort((a, b) => byte(fold(a), fold(b))));
      expect(names[0]).toBe('Foret béton 0 mm (nouveau)');
      const reversed = (await walk('-name', 'en')).map((h) => h.name);
      expect(reversed).toEqual([...reversed].sort((a, b) => byte(fold(b), fold(a))));
      const codes = (await walk('code')).map((h) => h.code);
      expect(codes).toEqual([...codes].sort(byte));
      const newest = await walk('newest');
      expect(newest).toHaveLength(30);
      // The relevance order stays the default, and a cursor of one order is refused for another.
      const byName = await api(acme, 'GET', '/search?q=foret&limit=5&sort=name');
      const wrong = await api(
        acme,
        'GET',
        `/search?q=foret&limit=5&sort=code&cursor=${byName.body.next_cursor}`,
      );
      expect(wrong.status).toBe(400);
      expect(wrong.body.errors[0].pointer).toBe('/cursor');
      const noSort = await api(acme, 'GET', `/search?q=foret&limit=5&cursor=${byName.body.next_cursor}`);
      expect(noSort.status).toBe(400);
      const unknown = await api(acme, 'GET', '/search?q=foret&sort=price');
      expect(unknown.status).toBe(400);
      expect(JSON.stringify(unknown.body.errors)).toContain('sort');
    });

    it('shows only active products', async () => {
      await product(acme, { code: 'DRAFT-1', family_id: ids.family, name: { fr: 'Perceuse prototype' } });
      const res = await api(acme, 'GET', '/search?q=prototype');
      expect(res.body.total).toBe(0);
    });
  });

  it("the search's GIN indexes keep no pending list (every search would scan it: migration 0023)", async () => {
    const found = await t.db.session((db) =>
      db.query<{ name: string; options: string[] | string | null }>(
        `select c.relname as name, c.reloptions as options from pg_class c join pg_am a on a.oid = c.relam
          where a.amname = 'gin' and c.relname like 'catalog\\_%' order by 1`,
      ),
    );
    expect(found.map((f) => f.name)).toEqual([
      'catalog_products_category_paths',
      'catalog_products_search',
      'catalog_products_trgm',
      'catalog_search_words_trgm',
    ]);
    for (const f of found) expect(String(f.options), f.name).toContain('fastupdate=off');
  });

  it('measures completeness and catalogue health on a known dataset', async () => {
    const tenant = await t.newTenant('Health');
    const fam = await api(tenant, 'POST', '/families', {
      code: 'f',
      name: { fr: 'Famille' },
      attributes: [{ code: 'size', type: 'number', label: { fr: 'Taille' }, required: true }],
    });
    const active = (await api(tenant, 'POST', '/categories', { code: 'c1', name: { fr: 'Active' } })).body.id;
    const inactive = (
      await api(tenant, 'POST', '/categories', { code: 'c2', name: { fr: 'Inactive' }, active: false })
    ).body.id;
    // Complete: fr+en names and descriptions, attribute, image, active category.
    const full = await api(tenant, 'POST', '/products', {
      code: 'FULL',
      family_id: fam.body.id,
      name: { fr: 'Complet', en: 'Complete' },
      description: { fr: 'Desc', en: 'Desc' },
      category_ids: [active],
      variants: [{ sku: 'FULL-1', attributes: { size: 3 } }],
    });
    await api(tenant, 'POST', `/products/${full.body.id}/media`, {
      kind: 'image',
      object_key: 'catalog/full.webp',
      content_type: 'image/webp',
      size_bytes: 1000,
      checksum_sha256: SHA,
    });
    // Incomplete: no English, no description, no attribute, no image, only an inactive category.
    const poor = await api(tenant, 'POST', '/products', {
      code: 'POOR',
      family_id: fam.body.id,
      name: { fr: 'Pauvre' },
      category_ids: [inactive],
      variants: [{ sku: 'POOR-1' }],
    });
    expect(poor.body.completeness.missing).toEqual([
      { check: 'attribute', attribute: 'size', skus: ['POOR-1'] },
      { check: 'name', locale: 'en' },
      { check: 'description', locale: 'fr' },
      { check: 'description', locale: 'en' },
      { check: 'image' },
      { check: 'category' },
    ]);
    // 8 checks (variant, size, 2 names, 2 descriptions, image, category): 2 passed.
    expect(poor.body.completeness.score).toBe(Math.floor((100 * 2) / 8));
    const got = await api(tenant, 'GET', `/products/${full.body.id}`);
    expect(got.body.completeness).toEqual({ score: 100, missing: [] });
    const health = await api(tenant, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      languages: ['fr', 'en'],
      products: 2,
      by_status: { draft: 2, active: 0, discontinued: 0 },
      incomplete_products: 1,
      average_completeness: (100 + 25) / 2,
      products_without_image: 1,
      products_without_active_category: 1,
      products_missing_required_attributes: 1,
      missing_translations: [
        { locale: 'fr', products: 1, names: 0, descriptions: 1 },
        { locale: 'en', products: 1, names: 1, descriptions: 1 },
      ],
      categories: { total: 2, inactive: 1 },
    });
    // Activating the category completes that part of the product.
    await api(tenant, 'PATCH', `/categories/${inactive}`, { active: true });
    const after = await api(tenant, 'GET', `/products/${poor.body.id}`);
    expect(after.body.completeness.missing).not.toContainEqual({ check: 'category' });
  });

  it('manages related products and media metadata', async () => {
    const rel = await api(acme, 'POST', `/products/${ids.drill}/related`, {
      kind: 'accessory',
      related_product_id: (await api(acme, 'GET', '/products?code=BULK-1')).body.data[0].id,
    });
    expect(rel.status, JSON.stringify(rel.body)).toBe(201);
    expect(rel.body).toMatchObject({ kind: 'accessory', related_code: 'BULK-1' });
    const listed = await api(acme, 'GET', `/products/${ids.drill}/related?locale=en`);
    expect(listed.body.data[0].related_name).toBe('Concrete drill bit 1 mm');
    const self = await api(acme, 'POST', `/products/${ids.drill}/related`, {
      kind: 'substitute',
      related_product_id: ids.drill,
    });
    expect(self.status).toBe(400);
    const pdfAsImage = await api(acme, 'POST', `/products/${ids.drill}/media`, {
      kind: 'image',
      object_key: 'x/y.pdf',
      content_type: 'application/pdf',
      size_bytes: 10,
      checksum_sha256: SHA,
    });
    expect(pdfAsImage.status).toBe(400);
    expect(pdfAsImage.body.errors[0].pointer).toBe('/content_type');
    const del = await api(
      acme,
      'DELETE',
      `/products/${ids.drill}/related/accessory/${rel.body.related_product_id}`,
    );
    expect(del.status).toBe(200);
  });

  it('deletes only draft products', async () => {
    const active = await api(acme, 'DELETE', `/products/${ids.drill}`);
    expect(active.status).toBe(422);
  });

  describe('isolation between tenants', () => {
    it('tenant B never sees tenant A’s products in lists, search or facets', async () => {
      const list = await api(rival, 'GET', '/products?limit=200');
      expect(list.body.data.map((p: { code: string }) => p.code)).toEqual(['PERC-18V']);
      expect(list.body.data[0].name.fr).toBe('Perceuse du concurrent');
      const search = await api(rival, 'GET', '/search?q=foret');
      expect(search.body.total).toBe(0);
      const sku = await api(rival, 'GET', '/search?q=VIS-4X40');
      expect(sku.body.data).toEqual([]);
      const typo = await api(rival, 'GET', '/search?q=perseuse');
      expect(typo.body.data.map((h: { name: string }) => h.name)).toEqual(['Perceuse du concurrent']);
      const browse = await api(rival, 'GET', '/search');
      expect(browse.body.facets.brands).toEqual([]);
      expect(browse.body.facets.categories).toEqual([]);
      expect(browse.body.total).toBe(1);
    });

    it('tenant B gets 404 for tenant A’s IDs, exactly like IDs that never existed', async () => {
      for (const path of [
        `/products/${ids.drill}`,
        `/categories/${ids.tools}`,
        `/brands/${ids.makita}`,
        `/families/${ids.family}`,
        `/products/${ids.drill}/variants`,
      ]) {
        const res = await api(rival, 'GET', path);
        expect(res.status, path).toBe(404);
      }
      const patch = await api(rival, 'PATCH', `/products/${ids.drill}`, { status: 'discontinued' });
      expect(patch.status).toBe(404);
      // Referencing another tenant's category or brand is refused as unknown.
      const sneaky = await product(rival, {
        code: 'SNEAKY',
        family_id: ids.rivalFamily,
        name: { fr: 'Sournois' },
        brand_id: ids.makita,
        category_ids: [ids.tools],
      });
      expect(sneaky.status).toBe(400);
      expect(sneaky.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
        '/brand_id',
        '/category_ids/0',
      ]);
      const filtered = await api(rival, 'GET', `/products?category_id=${ids.tools}`);
      expect(filtered.body.data).toEqual([]);
    });
  });
});
