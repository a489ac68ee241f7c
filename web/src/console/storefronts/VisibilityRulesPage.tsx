import { Badge, Button, Card, Group, Modal, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { useCan } from '../../auth/permissions.ts';
import { useFormat } from '../../i18n/format.ts';
import { EditDeleteActions } from '../../ui/ConfirmButton.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import {
  type Effect,
  RULES_KEY,
  SubjectLabel,
  SubjectPicker,
  type SubjectType,
  TargetLabel,
  TargetPicker,
  type TargetType,
  type VisibilityRule,
} from './VisibilityPickers.tsx';

interface Filters {
  subject_type: SubjectType | '';
  subject_id: string;
  target_type: TargetType | '';
  target_id: string;
}

/**
 * Visibility rules (GET /api/v1/visibility-rules): which storefront, customer group or account may
 * or may not see the whole catalogue, a category or a product. Filters by whom and by what.
 */
export function VisibilityRulesPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const canWrite = useCan('storefronts.visibility.write');
  const queryClient = useQueryClient();
  const [filters, setFilters] = useState<Filters>({
    subject_type: '',
    subject_id: '',
    target_type: '',
    target_id: '',
  });
  const [editing, setEditing] = useState<VisibilityRule | 'new' | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: RULES_KEY });
  const columns: Column<VisibilityRule>[] = [
    {
      key: 'subject',
      header: t('visibility.col.subject'),
      render: (r) => <SubjectLabel type={r.subject_type} id={r.subject_id} />,
    },
    {
      key: 'target',
      header: t('visibility.col.target'),
      render: (r) => <TargetLabel type={r.target_type} id={r.target_id} />,
    },
    {
      key: 'effect',
      header: t('visibility.col.effect'),
      render: (r) => (
        // Shade 9: white on it passes WCAG AA (the default filled shade does not).
        <Badge miw="max-content" color={r.effect === 'deny' ? 'red.9' : 'teal.9'} variant="filled">
          {t(`visibility.effect.${r.effect}`)}
        </Badge>
      ),
    },
    { key: 'updated', header: t('visibility.col.updated'), render: (r) => f.dateTime(r.updated_at) },
    ...(canWrite
      ? [
          {
            key: 'actions',
            header: t('common.actions'),
            render: (r: VisibilityRule) => (
              <EditDeleteActions
                onEdit={() => setEditing(r)}
                editLabel={t('visibility.edit_rule')}
                deleteTitle={t('visibility.delete_title')}
                deleteMessage={
                  <Stack gap="xs">
                    <Text>{t('visibility.delete_message')}</Text>
                    <SubjectLabel type={r.subject_type} id={r.subject_id} />
                    <TargetLabel type={r.target_type} id={r.target_id} />
                  </Stack>
                }
                deleteLabel={t('visibility.delete_rule')}
                onDelete={async () => {
                  await call(
                    client.DELETE('/api/v1/visibility-rules/{rule_id}', {
                      params: { path: { rule_id: r.id } },
                    }),
                  );
                  await refresh();
                  toast.success(t('visibility.deleted'));
                }}
              />
            ),
          },
        ]
      : []),
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('visibility.title')}</Title>
        {canWrite ? <Button onClick={() => setEditing('new')}>{t('visibility.create')}</Button> : null}
      </Group>
      <Text size="sm" c="dimmed" data-testid="visibility-help">
        {t('visibility.help')}
      </Text>
      <Card withBorder>
        <Stack gap="xs">
          <Title order={3} size="h5">
            {t('visibility.filters')}
          </Title>
          <SubjectPicker
            optional
            type={filters.subject_type}
            id={filters.subject_id}
            onChange={(subject_type, subject_id) => setFilters((p) => ({ ...p, subject_type, subject_id }))}
          />
          <TargetPicker
            optional
            type={filters.target_type}
            id={filters.target_id}
            onChange={(target_type, target_id) => setFilters((p) => ({ ...p, target_type, target_id }))}
          />
        </Stack>
      </Card>
      <DataTable<VisibilityRule, Filters>
        queryKey={[...RULES_KEY, 'page']}
        filters={filters}
        caption={t('visibility.title')}
        columns={columns}
        rowKey={(r) => r.id}
        emptyTitle={t('visibility.empty')}
        fetchPage={({ cursor, limit, filters: q }) =>
          call(
            client.GET('/api/v1/visibility-rules', {
              params: {
                query: {
                  limit,
                  ...(cursor ? { cursor } : {}),
                  ...(q.subject_type ? { subject_type: q.subject_type } : {}),
                  ...(q.subject_id ? { subject_id: q.subject_id } : {}),
                  ...(q.target_type ? { target_type: q.target_type } : {}),
                  ...(q.target_id ? { target_id: q.target_id } : {}),
                },
              },
            }),
          )
        }
      />
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t('visibility.create') : t('visibility.edit_rule')}
        size="lg"
      >
        {editing === 'new' ? (
          <CreateRule
            onDone={async () => {
              setEditing(null);
              await refresh();
            }}
          />
        ) : editing ? (
          <EditRule
            rule={editing}
            onDone={async () => {
              setEditing(null);
              await refresh();
            }}
          />
        ) : null}
      </Modal>
    </Stack>
  );
}

function EffectControl(props: { value: Effect; onChange: (e: Effect) => void; error?: string | undefined }) {
  const { t } = useTranslation();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500} id="visibility-effect-label">
        {t('visibility.col.effect')}
      </Text>
      <SegmentedControl
        aria-labelledby="visibility-effect-label"
        value={props.value}
        onChange={(v) => props.onChange(v as Effect)}
        data={[
          { value: 'deny', label: t('visibility.effect.deny') },
          { value: 'allow', label: t('visibility.effect.allow') },
        ]}
      />
      {props.error ? (
        <Text size="xs" c="red" role="alert">
          {props.error}
        </Text>
      ) : null}
    </Stack>
  );
}

function CreateRule(props: { onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      subject_type: 'group' as SubjectType,
      subject_id: '',
      target_type: 'category' as TargetType,
      target_id: '',
      effect: 'deny' as Effect,
    },
  });
  const save = async (v: typeof form.values) => {
    await call(
      client.POST('/api/v1/visibility-rules', {
        body: {
          subject_type: v.subject_type,
          // Sent as chosen: an empty choice is the API's to refuse, under its field.
          subject_id: v.subject_id,
          target_type: v.target_type,
          ...(v.target_type !== 'all' ? { target_id: v.target_id } : {}),
          effect: v.effect,
        },
      }),
    );
    toast.success(t('visibility.created'));
    await props.onDone();
  };
  return (
    <ApiForm
      form={form}
      onSubmit={save}
      submitLabel={t('visibility.create')}
      aria-label={t('visibility.create')}
    >
      <Text size="sm" c="dimmed">
        {t('visibility.help')}
      </Text>
      <SubjectPicker
        type={form.values.subject_type}
        id={form.values.subject_id}
        onChange={(type, id) => {
          form.setFieldValue('subject_type', (type || 'group') as SubjectType);
          form.setFieldValue('subject_id', id);
        }}
        typeError={form.errors.subject_type as string | undefined}
        idError={form.errors.subject_id as string | undefined}
      />
      <TargetPicker
        type={form.values.target_type}
        id={form.values.target_id}
        onChange={(type, id) => {
          form.setFieldValue('target_type', (type || 'all') as TargetType);
          form.setFieldValue('target_id', id);
        }}
        typeError={form.errors.target_type as string | undefined}
        idError={form.errors.target_id as string | undefined}
      />
      <EffectControl
        value={form.values.effect}
        onChange={(e) => form.setFieldValue('effect', e)}
        error={form.errors.effect as string | undefined}
      />
    </ApiForm>
  );
}

/** The API changes a rule's effect only: another subject or target is another rule. */
function EditRule(props: { rule: VisibilityRule; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const r = props.rule;
  const form = useForm({ mode: 'controlled', initialValues: { effect: r.effect } });
  const save = async (v: typeof form.values) => {
    await call(
      client.PATCH('/api/v1/visibility-rules/{rule_id}', {
        params: { path: { rule_id: r.id } },
        body: { effect: v.effect },
      }),
    );
    toast.success(t('visibility.saved'));
    await props.onDone();
  };
  return (
    <ApiForm
      form={form}
      onSubmit={save}
      submitLabel={t('common.save')}
      aria-label={t('visibility.edit_rule')}
    >
      <SubjectLabel type={r.subject_type} id={r.subject_id} />
      <TargetLabel type={r.target_type} id={r.target_id} />
      <Text size="sm" c="dimmed">
        {t('visibility.edit_help')}
      </Text>
      <EffectControl
        value={form.values.effect}
        onChange={(e) => form.setFieldValue('effect', e)}
        error={form.errors.effect as string | undefined}
      />
    </ApiForm>
  );
}
