import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import en from './en.json';
import fr from './fr.json';

/** French and English everywhere: every key in both languages, every key the code uses in both. */

const SRC = fileURLToPath(new URL('..', import.meta.url));
type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return /\.tsx?$/.test(name) && !/\.(test|d)\.tsx?$/.test(name) ? [full] : [];
  });
}

const languages = { fr: flatten(fr as Tree), en: flatten(en as Tree) };
/** A key as i18next resolves it, plural forms included. */
const has = (keys: Map<string, string>, key: string) =>
  keys.has(key) ||
  [...keys.keys()].some((k) => k.startsWith(`${key}_`) && /_(zero|one|two|few|many|other)$/.test(k));

describe('translations', () => {
  it('fr.json and en.json have the same keys, none empty', () => {
    const frKeys = [...languages.fr.keys()].sort();
    const enKeys = [...languages.en.keys()].sort();
    expect(
      frKeys.filter((k) => !languages.en.has(k)),
      'in fr.json, missing in en.json',
    ).toEqual([]);
    expect(
      enKeys.filter((k) => !languages.fr.has(k)),
      'in en.json, missing in fr.json',
    ).toEqual([]);
    for (const [lang, keys] of Object.entries(languages))
      expect(
        [...keys].filter(([, v]) => !v.trim()).map(([k]) => k),
        `empty texts in ${lang}.json`,
      ).toEqual([]);
  });

  it('the same {{placeholders}} in both languages', () => {
    const names = (s: string) => [...s.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1]).sort();
    const differ = [...languages.en].filter(
      ([k, v]) => JSON.stringify(names(v)) !== JSON.stringify(names(languages.fr.get(k) ?? '')),
    );
    expect(differ.map(([k]) => k)).toEqual([]);
  });

  it('every key used in the code exists in both languages', () => {
    const missing: string[] = [];
    let used = 0;
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8');
      const rel = path.relative(SRC, file);
      for (const m of text.matchAll(/\bt\(\s*(['"])([^'"]+)\1/g)) {
        used += 1;
        for (const [lang, keys] of Object.entries(languages))
          if (!has(keys, m[2]!)) missing.push(`${rel}: ${m[2]} (${lang})`);
      }
      // t(`audit.outcome.${x}`): at least one key under the prefix.
      for (const m of text.matchAll(/\bt\(\s*`([^`$]+)\$\{/g)) {
        used += 1;
        for (const [lang, keys] of Object.entries(languages))
          if (![...keys.keys()].some((k) => k.startsWith(m[1]!))) missing.push(`${rel}: ${m[1]}… (${lang})`);
      }
    }
    expect(used).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});
