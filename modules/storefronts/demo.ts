import type { Ctx } from '../../platform/context.ts';
import type { ObjectStore } from '../../platform/storage/object-store.ts';
import { uploadStorefrontLogo } from './logo.ts';

/**
 * The demo storefronts' logos, drawn by code (no file in the repository): a badge of simple shapes in
 * the shop's colours and its name as text, 220 × 48. Uploaded through the service like any logo.
 */

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface DemoLogo {
  /** The name written beside the badge. */
  name: string;
  /** One or two letters in the badge. */
  initials: string;
  primary: string;
  accent: string;
  /** `square`: a rounded square with a stripe; `hexagon`: a hexagon with a ring. */
  badge: 'square' | 'hexagon';
}

/** The SVG of a demo logo. Pure. */
export function demoLogoSvg(l: DemoLogo): string {
  const badge =
    l.badge === 'square'
      ? `<rect x="2" y="2" width="44" height="44" rx="8" fill="${l.primary}"/><rect x="2" y="36" width="44" height="6" fill="${l.accent}"/>`
      : `<polygon points="24,1 44,12.5 44,35.5 24,47 4,35.5 4,12.5" fill="${l.primary}"/><circle cx="24" cy="24" r="15" fill="none" stroke="${l.accent}" stroke-width="2.5"/>`;
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="220" height="48" viewBox="0 0 220 48">',
    `<title>${escapeXml(l.name)}</title>`,
    badge,
    `<text x="24" y="${l.initials.length > 1 ? 29 : 30}" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" font-size="${l.initials.length > 1 ? 13 : 16}" font-weight="700" fill="#ffffff">${escapeXml(l.initials)}</text>`,
    `<text x="56" y="31" font-family="Arial, Helvetica, sans-serif" font-size="19" font-weight="700" fill="${l.primary}">${escapeXml(l.name)}</text>`,
    '</svg>',
  ].join('');
}

/** Uploads a demo logo for a storefront (in the caller's transaction, audited). */
export async function seedDemoLogo(
  ctx: Ctx,
  objects: ObjectStore,
  storefrontId: string,
  logo: DemoLogo,
): Promise<void> {
  await uploadStorefrontLogo(ctx, objects, storefrontId, 'image/svg+xml', Buffer.from(demoLogoSvg(logo)));
}
