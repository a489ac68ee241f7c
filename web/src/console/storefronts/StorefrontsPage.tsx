import { Badge, Button, Group, Modal, Stack, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import { useCan } from '../../auth/permissions.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import { indexedErrors } from './StorefrontFields.tsx';

export type Storefront = components['schemas']['Storefront'];

/** Everything cached about storefronts (the list, an editor). */
export const STOREFRONTS_KEY = ['storefronts'] as const;

/** A list: the first item, the default, in bold. */
function DefaultFirst(props: { items: string[] }) {
  const [first, ...rest] = props.items;
  if (!first) return <>—</>;
  return (
    <>
      <Text span fw={700} size="sm">
        {first}
      </Text>
      {rest.length ? <Text span size="sm">{`, ${rest.join(', ')}`}</Text> : null}
    </>
  );
}

/**
 * Storefronts (GET /api/v1/storefronts): the merchant's own shop and white-label shops, each with
 * its domains, languages, currencies (the first of each is the default) and status; a storefront's
 * page edits it, its colours and its logo.
 */
export function StorefrontsPage() {
  const { t } = useTranslation();
  const canWrite = useCan('storefronts.storefront.write');
  const [creating, { open, close }] = useDisclosure(false);
  const columns: Column<Storefront>[] = [
    {
      key: 'name',
      header: t('storefronts.col.name'),
      render: (s) => (
        <AnchorLink to="/console/storefronts/$storefrontId" params={{ storefrontId: s.id }}>
          {s.name}
        </AnchorLink>
      ),
    },
    { key: 'code', header: t('storefronts.col.code'), render: (s) => <code>{s.code}</code> },
    {
      key: 'domains',
      header: t('storefronts.col.domains'),
      render: (s) => (s.domains.length ? s.domains.join(', ') : '—'),
    },
    {
      key: 'languages',
      header: t('storefronts.col.languages'),
      render: (s) => <DefaultFirst items={s.languages} />,
    },
    {
      key: 'currencies',
      header: t('storefronts.col.currencies'),
      render: (s) => <DefaultFirst items={s.currencies} />,
    },
    {
      key: 'status',
      header: t('storefronts.col.status'),
      render: (s) => (
        <Badge color={s.status === 'active' ? 'green' : 'gray'} variant="dot" miw="max-content">
          {t(`storefronts.status.${s.status}`)}
        </Badge>
      ),
    },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('storefronts.title')}</Title>
        {canWrite ? <Button onClick={open}>{t('storefronts.create')}</Button> : null}
      </Group>
      <Text c="dimmed" size="sm">
        {t('storefronts.intro')}
      </Text>
      <DataTable<Storefront, Record<string, never>>
        queryKey={STOREFRONTS_KEY}
        filters={{}}
        caption={t('storefronts.caption')}
        columns={columns}
        rowKey={(s) => s.id}
        emptyTitle={t('storefronts.empty')}
        fetchPage={({ cursor, limit }) =>
          call(
            client.GET('/api/v1/storefronts', {
              params: { query: { limit, ...(cursor ? { cursor } : {}) } },
            }),
          )
        }
      />
      <Modal opened={creating} onClose={close} title={t('storefronts.create')} size="lg">
        <CreateStorefront onDone={close} />
      </Modal>
    </Stack>
  );
}

function CreateStorefront(props: { onDone: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const form = useForm({
    mode: 'controlled',
    initialValues: { code: '', name: '', domains: [] as string[] },
  });
  const save = async (v: typeof form.values) => {
    const created = await call(
      client.POST('/api/v1/storefronts', {
        body: { code: v.code.trim(), name: v.name, domains: v.domains },
      }),
    );
    await queryClient.invalidateQueries({ queryKey: STOREFRONTS_KEY });
    toast.success(t('storefronts.created', { name: created.name }));
    props.onDone();
    await navigate({ to: '/console/storefronts/$storefrontId', params: { storefrontId: created.id } });
  };
  return (
    <ApiForm form={form} onSubmit={save} submitLabel={t('storefronts.create')}>
      <TextInput
        label={t('storefronts.field.name')}
        required
        {...form.getInputProps('name')}
        data-autofocus
      />
      <TextInput
        label={t('storefronts.field.code')}
        description={t('storefronts.field.code_help')}
        required
        {...form.getInputProps('code')}
      />
      <TagsInput
        label={t('storefronts.field.domains')}
        description={t('storefronts.field.domains_help')}
        {...form.getInputProps('domains')}
        error={indexedErrors(form.errors, 'domains', form.values.domains)}
      />
    </ApiForm>
  );
}
