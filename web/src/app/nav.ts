/** Which navigation entry is the current page (app/Shell.tsx). */

const under = (path: string, to: string) => path.startsWith(to === '/' ? '/' : `${to}/`);
const trimmed = (pathname: string) => (pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname);

/**
 * Whether a navigation entry is the current page: exactly its path, or (unless `exact`) a page
 * under it (`/console/products/…` for Products). The search (`?q=…`) never matters.
 */
export function isCurrent(pathname: string, to: string, exact: boolean): boolean {
  const path = trimmed(pathname);
  return path === to || (!exact && under(path, to));
}

/** Whether other entries sit under this one (an area's home, '/' or '/console'): it matches exactly. */
export function hasEntriesUnder(nav: { to: string }[], to: string): boolean {
  return nav.some((item) => item.to !== to && under(item.to, to));
}
