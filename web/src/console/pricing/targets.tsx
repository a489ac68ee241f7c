import { Badge, Group, Select } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useAccountsList, useCustomerGroups, useStorefrontsList } from '../catalog/shared.ts';

/** Who a price list or a promotion is for: everyone, a storefront, a customer group, one account. */
export type Target =
  | { kind: 'all' }
  | { kind: 'storefront'; id: string }
  | { kind: 'group'; id: string }
  | { kind: 'account'; id: string };
export type TargetKind = Target['kind'];
export const TARGET_KINDS: TargetKind[] = ['all', 'storefront', 'group', 'account'];

/** Names of the storefronts, groups and accounts a target can name. */
export function useTargetNames() {
  const accounts = useAccountsList();
  const groups = useCustomerGroups();
  const storefronts = useStorefrontsList();
  const names = new Map<string, string>();
  for (const a of accounts.data?.data ?? []) names.set(a.id, a.name);
  for (const g of groups.data?.data ?? []) names.set(g.id, g.name);
  for (const s of (storefronts.data?.data ?? []) as { id: string; name: string }[]) names.set(s.id, s.name);
  const options = (kind: TargetKind) =>
    kind === 'account'
      ? (accounts.data?.data ?? []).map((a) => ({ value: a.id, label: a.name }))
      : kind === 'group'
        ? (groups.data?.data ?? []).map((g) => ({ value: g.id, label: g.name }))
        : kind === 'storefront'
          ? ((storefronts.data?.data ?? []) as { id: string; name: string }[]).map((s) => ({
              value: s.id,
              label: s.name,
            }))
          : [];
  return { names, options };
}

export function TargetBadges({ targets }: { targets: Target[] }) {
  const { t } = useTranslation();
  const { names } = useTargetNames();
  return (
    <Group gap={4}>
      {targets.map((x) => (
        <Badge
          key={`${x.kind}-${'id' in x ? x.id : ''}`}
          variant="dot"
          color={
            x.kind === 'account'
              ? 'grape'
              : x.kind === 'group'
                ? 'teal'
                : x.kind === 'storefront'
                  ? 'blue'
                  : 'gray'
          }
        >
          {t(`pricing.target.${x.kind}`)}
          {'id' in x ? ` : ${names.get(x.id) ?? x.id}` : ''}
        </Badge>
      ))}
    </Group>
  );
}

/** A target picker: the kind, then (except "everyone") the storefront, group or account. */
export function TargetPicker(props: {
  kind: TargetKind;
  id: string;
  onChange: (kind: TargetKind, id: string) => void;
  kindError?: string | undefined;
  idError?: string | undefined;
}) {
  const { t } = useTranslation();
  const { options } = useTargetNames();
  return (
    <Group grow align="flex-start">
      <Select
        label={t('pricing.target.kind')}
        allowDeselect={false}
        data={TARGET_KINDS.map((k) => ({ value: k, label: t(`pricing.target.${k}`) }))}
        value={props.kind}
        onChange={(v) => props.onChange((v ?? 'all') as TargetKind, '')}
        error={props.kindError}
      />
      {props.kind !== 'all' ? (
        <Select
          label={t(`pricing.target.which_${props.kind}`)}
          searchable
          required
          data={options(props.kind)}
          value={props.id || null}
          onChange={(v) => props.onChange(props.kind, v ?? '')}
          error={props.idError}
        />
      ) : null}
    </Group>
  );
}

export function toTarget(kind: TargetKind, id: string): Target {
  return kind === 'all' ? { kind } : { kind, id };
}
