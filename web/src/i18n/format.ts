import { useTranslation } from 'react-i18next';

/**
 * Numbers, money and dates by the reader's language, with Intl. Money comes from the API as an exact
 * decimal string and its currency; it is formatted from the string (Intl.NumberFormat accepts
 * decimal strings), never through a floating-point number.
 */
export function formatNumber(locale: string, value: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(locale, options).format(value);
}

export function formatMoney(locale: string, amount: string, currency: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(
    amount as Intl.StringNumericLiteral,
  );
}

/**
 * A unit price: up to 4 decimals (docs/pricing.md), at least the currency's own — 8.4915 € stays
 * 8,4915 €, 12.5 € is 12,50 €. From the exact decimal string, like `formatMoney`.
 */
export function formatUnitPrice(locale: string, amount: string, currency: string): string {
  const minor =
    new Intl.NumberFormat(locale, { style: 'currency', currency }).resolvedOptions().minimumFractionDigits ??
    2;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: minor,
    maximumFractionDigits: Math.max(minor, 4),
  }).format(amount as Intl.StringNumericLiteral);
}

export function formatPercent(locale: string, ratio: number): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

export function formatDateTime(locale: string, iso: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatDate(locale: string, iso: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso));
}

/** The formatters bound to the current language. */
export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.language === 'en' ? 'en-GB' : 'fr-FR';
  return {
    locale,
    number: (v: number, o?: Intl.NumberFormatOptions) => formatNumber(locale, v, o),
    money: (amount: string, currency: string) => formatMoney(locale, amount, currency),
    unitPrice: (amount: string, currency: string) => formatUnitPrice(locale, amount, currency),
    percent: (ratio: number) => formatPercent(locale, ratio),
    dateTime: (iso: string) => formatDateTime(locale, iso),
    date: (iso: string) => formatDate(locale, iso),
  };
}
