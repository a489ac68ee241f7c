import { createHash } from 'node:crypto';
import type { Ctx } from '../../platform/context.ts';
import type { ObjectStore } from '../../platform/storage/object-store.ts';
import { listAccounts } from '../accounts/service.ts';
import { listCategories, listVariants } from '../catalog/service.ts';
import { seedDemoLogo } from '../storefronts/demo.ts';
import {
  addGroupMember,
  createCustomerGroup,
  createStorefront,
  createVisibilityRule,
} from '../storefronts/service.ts';
import { Dec } from './money.ts';
import { createGroupDiscount, createPriceList, createPromotion, upsertEntries } from './service.ts';

/**
 * The commercial set-up of the demo tenant Acme Industrie, through the services (valid and audited
 * rows): its own B2B shop and the white-label shop of a distributor ("Distrib Pro", tools and
 * fixings only), customer groups with the demo accounts in them, a public EUR price list with
 * quantity breaks, the distributor shop's list, group discounts, a promotion, and contract prices
 * for the key account the demo buyer belongs to. Deterministic: prices derive from the SKU.
 */
export async function seedDemoCommerce(
  ctx: Ctx,
  objects: ObjectStore,
): Promise<{ skus: number; contract_skus: number }> {
  const day = 86_400_000;
  const acme = await createStorefront(ctx, {
    code: 'acme-pro',
    name: 'Acme Industrie — boutique pro',
    // 'localhost' stays the tenant's host only: a storefront domain needs a dot (isValidHost).
    domains: ['acme.localhost'],
    theme: { colors: { primary: '#1f4e79', accent: '#f2a900' } },
    languages: ['fr', 'en'],
    currencies: ['EUR'],
  });
  const distrib = await createStorefront(ctx, {
    code: 'distrib-pro',
    name: 'Distrib Pro',
    domains: ['distrib.localhost'],
    theme: { colors: { primary: '#2e7d32', accent: '#212121' } },
    languages: ['fr'],
    currencies: ['EUR'],
  });
  // Each shop shows its own logo (drawn by code, uploaded to the media store like any logo).
  await seedDemoLogo(ctx, objects, acme.id, {
    name: 'Acme Industrie',
    initials: 'A',
    primary: '#1f4e79',
    accent: '#f2a900',
    badge: 'square',
  });
  await seedDemoLogo(ctx, objects, distrib.id, {
    name: 'Distrib Pro',
    initials: 'DP',
    primary: '#2e7d32',
    accent: '#ffffff',
    badge: 'hexagon',
  });
  const categories = new Map(
    (await listCategories(ctx, { limit: 200 })).data.map((c) => [c.code, c.id] as const),
  );
  // Distrib Pro sells tools and fixings only.
  await createVisibilityRule(ctx, {
    subject_type: 'storefront',
    subject_id: distrib.id,
    target_type: 'all',
    effect: 'deny',
  });
  for (const code of ['outillage', 'fixations'])
    await createVisibilityRule(ctx, {
      subject_type: 'storefront',
      subject_id: distrib.id,
      target_type: 'category',
      target_id: categories.get(code)!,
      effect: 'allow',
    });

  const group = async (code: string, name: string) => (await createCustomerGroup(ctx, { code, name })).id;
  const groups = {
    distributor: await group('distributeurs', 'Distributeurs'),
    reseller: await group('revendeurs', 'Revendeurs'),
    sme: await group('pme', 'PME'),
    key: await group('grands-comptes', 'Grands comptes'),
  };
  const accounts = new Map(
    (await listAccounts(ctx, { limit: 100 })).data.map((a) => [a.external_ref ?? a.name, a.id] as const),
  );
  const members: [keyof typeof groups, string][] = [
    ['key', 'C-000101'], // Boulangerie Martin: the demo buyer's company, with contract prices
    ['sme', 'C-000101'],
    ['sme', 'C-000102'],
    ['sme', 'C-000103'],
    ['reseller', 'C-000104'],
    ['distributor', 'C-000105'],
  ];
  for (const [g, ref] of members) {
    const account = accounts.get(ref);
    if (account) await addGroupMember(ctx, groups[g], account);
  }

  // Every SKU of the catalogue, priced from its hash: stable across runs.
  const skus: string[] = [];
  for (let cursor: string | undefined, first = true; first || cursor; first = false) {
    const page = await listVariants(ctx, { limit: 200, ...(cursor ? { cursor } : {}) });
    skus.push(...page.data.map((v) => v.sku));
    cursor = page.next_cursor ?? undefined;
  }
  const basePrice = (sku: string) => {
    const h = createHash('sha256').update(sku).digest().readUInt32BE(0);
    const family = sku.startsWith('GEN-') ? sku.split('-')[1]! : sku.split('-')[0]!;
    const scale = ['CHC', 'H', 'TF', 'TH', 'ECR', 'ECRF', 'RON', 'WUR', 'FIS'].includes(family)
      ? 8
      : ['R2V', 'H07VU', 'H07RNF'].includes(family)
        ? 2
        : ['MAK', 'BOS', 'DEW'].includes(family)
          ? 250
          : 30;
    return new Dec(scale).times(new Dec(h % 1000).div(1000).plus(0.6)).toDecimalPlaces(2);
  };
  const breaks = (p: InstanceType<typeof Dec>, factor = 1) => [
    { min_quantity: '1', unit_price: p.times(factor).toFixed(2) },
    { min_quantity: '10', unit_price: p.times(factor).times(0.95).toFixed(2) },
    { min_quantity: '50', unit_price: p.times(factor).times(0.9).toFixed(2) },
  ];
  const year = new Date().getUTCFullYear();
  const list = async (
    code: string,
    name: string,
    targets: Parameters<typeof createPriceList>[1]['targets'],
    from?: string,
  ) =>
    (
      await createPriceList(ctx, {
        code,
        name,
        currency: 'EUR',
        targets,
        ...(from ? { valid_from: from } : {}),
      })
    ).id;
  const publicList = await list(
    `tarif-public-${year}`,
    `Tarif public ${year}`,
    [{ kind: 'all' }],
    `${year}-01-01T00:00:00Z`,
  );
  await upsertEntries(
    ctx,
    publicList,
    skus.map((sku) => ({ sku, breaks: breaks(basePrice(sku)) })),
  );
  // Distrib Pro resells tools and fixings at its own public prices (8 % above Acme's).
  const distribList = await list('tarif-distrib-pro', 'Tarif Distrib Pro', [
    { kind: 'storefront', id: distrib.id },
  ]);
  const distribSkus = skus.filter((s) =>
    /^(GEN-(CHC|H|TF|TH|ECR|ECRF|RON|TIGE|FAC|STA)|MAK|BOS|DEW|WUR|FIS)-/.test(s),
  );
  await upsertEntries(
    ctx,
    distribList,
    distribSkus.map((sku) => ({ sku, breaks: breaks(basePrice(sku), 1.08) })),
  );
  await createGroupDiscount(ctx, { group_id: groups.distributor, percent: '30' });
  await createGroupDiscount(ctx, { group_id: groups.reseller, percent: '15' });
  await createGroupDiscount(ctx, {
    group_id: groups.sme,
    percent: '5',
    category_ids: [categories.get('fixations')!],
  });
  await createPromotion(ctx, {
    name: 'Printemps de la sécurité — 10 % sur les EPI',
    category_ids: [categories.get('epi')!],
    discount: { kind: 'percent', percent: '10' },
    stackable: false,
    priority: 1,
    valid_from: new Date(Date.now() - 7 * day).toISOString(),
    valid_to: new Date(Date.now() + 60 * day).toISOString(),
  });
  // Contract prices of the key account (the demo buyer's company): 20 % below public on its usual SKUs.
  const bakery = accounts.get('C-000101');
  const contractSkus = skus.filter((s) => /^(GEN-DLP|DLP|GEN-R2V|GEN-CHC-A2|WUR)/.test(s)).slice(0, 40);
  if (bakery) {
    const contract = await list(
      'contrat-boulangerie-martin',
      'Contrat Boulangerie Martin',
      [{ kind: 'account', id: bakery }],
      `${year}-01-01T00:00:00Z`,
    );
    await upsertEntries(
      ctx,
      contract,
      contractSkus.map((sku) => ({
        sku,
        breaks: [{ min_quantity: '1', unit_price: basePrice(sku).times(0.8).toFixed(2) }],
      })),
    );
  }
  void acme;
  return { skus: skus.length, contract_skus: bakery ? contractSkus.length : 0 };
}
