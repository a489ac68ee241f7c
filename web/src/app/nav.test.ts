import { describe, expect, it } from 'vitest';
import { hasEntriesUnder, isCurrent } from './nav.ts';

const consoleNav = [{ to: '/console' }, { to: '/console/products' }, { to: '/console/security' }];
const shopNav = [{ to: '/' }, { to: '/catalog' }, { to: '/account/security' }];
const current = (nav: { to: string }[], pathname: string) =>
  nav.filter((item) => isCurrent(pathname, item.to, hasEntriesUnder(nav, item.to))).map((i) => i.to);

describe('the current navigation entry', () => {
  it('marks an area home only on itself', () => {
    expect(current(consoleNav, '/console')).toEqual(['/console']);
    expect(current(consoleNav, '/console/')).toEqual(['/console']);
    expect(current(consoleNav, '/console/products')).toEqual(['/console/products']);
    expect(current(shopNav, '/')).toEqual(['/']);
    expect(current(shopNav, '/account/security')).toEqual(['/account/security']);
  });

  it('marks an entry on the pages under it, and not on a sibling that shares a prefix', () => {
    expect(current(consoleNav, '/console/products/prd_1')).toEqual(['/console/products']);
    expect(
      current([...consoleNav, { to: '/console/security-settings' }], '/console/security-settings'),
    ).toEqual(['/console/security-settings']);
  });

  it('ignores the search: /catalog?q=… is the catalogue (the pathname has no search)', () => {
    expect(current(shopNav, '/catalog')).toEqual(['/catalog']);
    expect(current(shopNav, '/products/prd_1')).toEqual([]);
  });
});
