import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideVisibility,
  decisionList,
  effectiveList,
  isValidHost,
  normalizeHost,
  type Placement,
  planAllows,
  type Subject,
  type Target,
  type Viewer,
  type VisibilityRule,
} from './rules.ts';

// A small world: a category tree tools › power › drills, tools › hand, and cables; three products.
const PATHS: Record<string, string[][]> = {
  drill: [['tools', 'power', 'drills']],
  hammer: [['tools', 'hand']],
  cable: [['cables'], ['tools', 'power']],
};
const product = (id: string): Placement => ({ productId: id, categoryPaths: PATHS[id] ?? [] });
const DEPTH: Record<string, number> = { tools: 0, power: 1, drills: 2, hand: 1, cables: 0 };
const depthOf = (c: string) => DEPTH[c];

let n = 0;
const rule = (subject: Subject, target: Target, effect: 'allow' | 'deny'): VisibilityRule => ({
  id: `vis_${String(++n).padStart(4, '0')}`,
  subject,
  target,
  effect,
});
const sf = (storefrontId = 'sf1'): Subject => ({ kind: 'storefront', storefrontId });
const grp = (groupId: string): Subject => ({ kind: 'group', groupId });
const acct = (accountId = 'acme'): Subject => ({ kind: 'account', accountId });
const all: Target = { kind: 'all' };
const cat = (categoryId: string): Target => ({ kind: 'category', categoryId });
const prod = (productId: string): Target => ({ kind: 'product', productId });
const buyer: Viewer = { storefrontId: 'sf1', accountId: 'acme', groupIds: ['distrib', 'key'] };
const visible = (rules: VisibilityRule[], p: string, viewer = buyer) =>
  decideVisibility(rules, viewer, product(p), depthOf).visible;

describe('visibility precedence', () => {
  it('shows everything when there is no rule', () => {
    expect(decideVisibility([], buyer, product('drill'))).toEqual({ visible: true, ruleId: null });
  });

  it('a storefront that sells only tools: deny all, allow the category (and its sub-categories)', () => {
    const rules = [rule(sf(), all, 'deny'), rule(sf(), cat('tools'), 'allow')];
    expect(visible(rules, 'drill')).toBe(true);
    expect(visible(rules, 'hammer')).toBe(true);
    expect(visible(rules, 'cable')).toBe(true); // also filed under tools › power
    expect(visible([rule(sf(), all, 'deny'), rule(sf(), cat('hand'), 'allow')], 'drill')).toBe(false);
  });

  it('an account rule beats a group rule, which beats a storefront rule, whatever the targets', () => {
    const sfDenyDrill = rule(sf(), prod('drill'), 'deny');
    const groupAllowAll = rule(grp('distrib'), all, 'allow');
    const accountDenyTools = rule(acct(), cat('tools'), 'deny');
    expect(visible([sfDenyDrill], 'drill')).toBe(false);
    expect(visible([sfDenyDrill, groupAllowAll], 'drill')).toBe(true);
    expect(visible([sfDenyDrill, groupAllowAll, accountDenyTools], 'drill')).toBe(false);
  });

  it('for one subject level, the product beats the deepest category, which beats a shallower one and all', () => {
    const rules = [
      rule(grp('distrib'), cat('tools'), 'deny'),
      rule(grp('distrib'), cat('power'), 'allow'),
      rule(grp('distrib'), prod('hammer'), 'allow'),
    ];
    expect(visible(rules, 'drill')).toBe(true); // power (depth 1) beats tools (depth 0)
    expect(visible(rules, 'hammer')).toBe(true); // the product itself
    expect(visible([rule(grp('distrib'), cat('tools'), 'deny')], 'hammer')).toBe(false);
  });

  it('at equal precedence (two groups of the account disagree), deny wins', () => {
    const rules = [rule(grp('distrib'), cat('power'), 'allow'), rule(grp('key'), cat('power'), 'deny')];
    expect(decideVisibility(rules, buyer, product('drill'), depthOf)).toMatchObject({ visible: false });
  });

  it('rules of other storefronts, groups or accounts do not concern the viewer', () => {
    const rules = [
      rule(sf('sf2'), all, 'deny'),
      rule(grp('other'), all, 'deny'),
      rule(acct('rival'), all, 'deny'),
    ];
    expect(visible(rules, 'drill')).toBe(true);
    const visitor: Viewer = { storefrontId: 'sf1', accountId: null, groupIds: [] };
    expect(visible([rule(acct(), all, 'allow'), rule(sf(), all, 'deny')], 'drill', visitor)).toBe(false);
  });
});

// ─── Properties ──────────────────────────────────────────────────────────────────────────────

const SUBJECTS: Subject[] = [
  sf('sf1'),
  sf('sf2'),
  grp('distrib'),
  grp('key'),
  grp('other'),
  acct('acme'),
  acct('rival'),
];
const TARGETS: Target[] = [all, ...Object.keys(DEPTH).map(cat), ...Object.keys(PATHS).map(prod)];
const arbRules = fc
  .array(
    fc.record({
      subject: fc.constantFrom(...SUBJECTS),
      target: fc.constantFrom(...TARGETS),
      effect: fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
    }),
    { maxLength: 12 },
  )
  .map((rs) => rs.map((r, i) => ({ ...r, id: `vis_${String(i).padStart(3, '0')}` })));
const arbViewer = fc.record({
  storefrontId: fc.constantFrom<string | null>('sf1', 'sf2', null),
  accountId: fc.constantFrom<string | null>('acme', 'rival', null),
  groupIds: fc.subarray(['distrib', 'key', 'other']),
});
const arbProduct = fc.constantFrom(...Object.keys(PATHS));

/** The precedence read literally: the maximum by (subject level, target specificity, deny) of the rules that apply. */
function reference(rules: VisibilityRule[], viewer: Viewer, productId: string): boolean {
  const level = { storefront: 1, group: 2, account: 3 };
  const applies = (r: VisibilityRule) => {
    const s = r.subject;
    const forViewer =
      (s.kind === 'storefront' && s.storefrontId === viewer.storefrontId) ||
      (s.kind === 'group' && viewer.groupIds.includes(s.groupId)) ||
      (s.kind === 'account' && s.accountId === viewer.accountId);
    const t = r.target;
    const onProduct =
      t.kind === 'all' ||
      (t.kind === 'product' && t.productId === productId) ||
      (t.kind === 'category' && (PATHS[productId] ?? []).some((p) => p.includes(t.categoryId)));
    return forViewer && onProduct;
  };
  const key = (r: VisibilityRule) => [
    level[r.subject.kind],
    r.target.kind === 'all' ? 0 : r.target.kind === 'product' ? 99 : 1 + DEPTH[r.target.categoryId]!,
    r.effect === 'deny' ? 1 : 0,
  ];
  let best: VisibilityRule | undefined;
  for (const r of rules.filter(applies)) {
    if (!best) best = r;
    else {
      const [a, b] = [key(r), key(best)];
      const i = a.findIndex((x, j) => x !== b[j]);
      if (i >= 0 && a[i]! > b[i]!) best = r;
    }
  }
  return best ? best.effect === 'allow' : true;
}

describe('visibility properties', () => {
  it('agrees with the precedence read literally (max of level, specificity, deny)', () => {
    fc.assert(
      fc.property(arbRules, arbViewer, arbProduct, (rules, viewer, p) => {
        expect(visible(rules, p, viewer)).toBe(reference(rules, viewer, p));
      }),
      { numRuns: 2000 },
    );
  });

  it('the shortened decision list (the SQL condition and the product page check) decides exactly like the full one', () => {
    fc.assert(
      fc.property(arbRules, arbViewer, arbProduct, fc.boolean(), (rules, viewer, p, draft) => {
        const plan = { list: effectiveList(decisionList(rules, viewer, depthOf)) };
        // What catalog_products.category_paths holds: every category on the product's paths.
        const placement = { id: p, status: draft ? 'draft' : 'active', categoryPaths: PATHS[p]!.flat() };
        expect(planAllows(plan, placement)).toBe(!draft && visible(rules, p, viewer));
      }),
      { numRuns: 2000 },
    );
  });

  it('an account rule on the product itself always decides', () => {
    fc.assert(
      fc.property(
        arbRules,
        arbProduct,
        fc.constantFrom<'allow' | 'deny'>('allow', 'deny'),
        (rules, p, effect) => {
          const own = { id: 'vis_zzz', subject: acct('acme'), target: prod(p), effect };
          const others = rules.filter((r) => !(r.subject.kind === 'account' && r.target.kind === 'product'));
          expect(visible([...others, own], p)).toBe(effect === 'allow');
        },
      ),
    );
  });

  it('adding a deny rule never shows a product; adding an allow rule never hides one', () => {
    fc.assert(
      fc.property(
        arbRules,
        arbViewer,
        arbProduct,
        fc.constantFrom(...SUBJECTS),
        fc.constantFrom(...TARGETS),
        (rules, viewer, p, subject, target) => {
          const clash = (r: VisibilityRule) =>
            JSON.stringify([r.subject, r.target]) === JSON.stringify([subject, target]);
          const base = rules.filter((r) => !clash(r));
          const before = visible(base, p, viewer);
          const afterDeny = visible([...base, { id: 'vis_new', subject, target, effect: 'deny' }], p, viewer);
          if (!before) expect(afterDeny).toBe(false);
          const afterAllow = visible(
            [...base, { id: 'vis_new', subject, target, effect: 'allow' }],
            p,
            viewer,
          );
          if (before) expect(afterAllow).toBe(true);
        },
      ),
    );
  });

  it('the order in which rules are stored does not matter', () => {
    fc.assert(
      fc.property(arbRules, arbViewer, arbProduct, (rules, viewer, p) => {
        expect(visible([...rules].reverse(), p, viewer)).toBe(visible(rules, p, viewer));
      }),
    );
  });
});

describe('storefront domains', () => {
  it('normalises and checks host names', () => {
    expect(normalizeHost(' Pro-Distrib.FR. ')).toBe('pro-distrib.fr');
    expect(isValidHost('shop.pro-distrib.fr')).toBe(true);
    expect(isValidHost('localhost')).toBe(false);
    expect(isValidHost('-bad.example.com')).toBe(false);
  });
});
