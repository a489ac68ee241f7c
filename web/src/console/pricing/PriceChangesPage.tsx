import {
  Accordion,
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Modal,
  Select,
  Stack,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import type { components } from '../../api/schema';
import { useCan } from '../../auth/permissions.ts';
import { useSession } from '../../auth/session.ts';
import { useFormat } from '../../i18n/format.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import { ThresholdNote } from './PriceListPage.tsx';
import { PricingSettingsForm } from './PricingSettingsForm.tsx';

type Request = components['schemas']['PriceChangeRequest'];
type Change = {
  sku: string;
  min_quantity: string;
  before: string | null;
  after: string | null;
  change_percent: string | null;
};
type Status = Request['status'];
const STATUSES: Status[] = ['pending', 'applied', 'rejected', 'approved'];
const STATUS_COLOR: Record<Status, string> = {
  pending: 'yellow',
  applied: 'green',
  rejected: 'red',
  approved: 'blue',
};

/**
 * Price changes held for approval (four-eyes, docs/pricing.md): someone other than the initiator,
 * with pricing.price_list.approve, applies or rejects them. The API's refusal (self-approval: 403
 * four-eyes-required; a stale request: 409) is shown as it is, above the list.
 */
export function PriceChangesPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const session = useSession();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>('pending');
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [rejecting, setRejecting] = useState<Request | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  // Approving and rejecting both need pricing.price_list.approve: without it the actions are disabled.
  const canDecide = useCan('pricing.price_list.approve');
  const lists = useQuery({
    queryKey: ['price-lists', 'names'],
    queryFn: () => call(client.GET('/api/v1/price-lists', { params: { query: { limit: 200 } } })),
    staleTime: 60_000,
  });
  const listById = new Map((lists.data?.data ?? []).map((l) => [l.id, l] as const));
  // The API gives each person's name beside their ID.
  const userName = (id: string, name: string | null) =>
    id === session?.user.id ? t('pricing.changes.you') : (name ?? id);
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['price-change-requests'] });
    await queryClient.invalidateQueries({ queryKey: ['price-list-entries'] });
  };
  const approve = async (r: Request) => {
    setProblem(null);
    setBusy(r.id);
    try {
      await call(
        client.POST('/api/v1/price-change-requests/{price_change_request_id}/approve', {
          params: { path: { price_change_request_id: r.id } },
        }),
      );
      toast.success(t('pricing.changes.approved'));
      await refresh();
    } catch (err) {
      if (err instanceof ApiError) setProblem(err);
      else toast.error(err);
    } finally {
      setBusy(null);
    }
  };

  const columns: Column<Request>[] = [
    { key: 'created', header: t('pricing.changes.col.created'), render: (r) => f.dateTime(r.created_at) },
    {
      key: 'list',
      header: t('pricing.changes.col.list'),
      render: (r) => (
        <AnchorLink to="/console/price-lists/$priceListId" params={{ priceListId: r.price_list_id }}>
          {listById.get(r.price_list_id)?.name ?? r.price_list_id}
        </AnchorLink>
      ),
    },
    {
      key: 'by',
      header: t('pricing.changes.col.initiated_by'),
      render: (r) => userName(r.initiated_by, r.initiated_by_name),
    },
    {
      key: 'changes',
      header: t('pricing.changes.col.changes'),
      render: (r) => {
        const currency = listById.get(r.price_list_id)?.currency ?? 'EUR';
        const money = (v: string | null) => (v === null ? '—' : f.money(v, currency));
        return (
          <Stack gap={2}>
            {(r.changes as Change[]).map((c) => (
              <Text size="sm" key={`${c.sku}-${c.min_quantity}`}>
                {t('pricing.changes.line', {
                  sku: c.sku,
                  qty: c.min_quantity,
                  before: money(c.before),
                  after: money(c.after),
                })}
                {c.change_percent !== null ? (
                  <Badge ml={6} size="sm" variant="default">
                    {c.change_percent.startsWith('-') ? '' : '+'}
                    {c.change_percent} %
                  </Badge>
                ) : null}
              </Text>
            ))}
            <Text size="xs" c="dimmed">
              {t('pricing.changes.sku_count', { count: r.sku_count })}
            </Text>
          </Stack>
        );
      },
    },
    {
      key: 'status',
      header: t('pricing.changes.col.status'),
      render: (r) => (
        <Stack gap={2}>
          <Badge color={STATUS_COLOR[r.status]} variant="dot" miw="max-content">
            {t(`pricing.changes.status.${r.status}`)}
          </Badge>
          {r.decided_by ? (
            <Text size="xs" c="dimmed">
              {t('pricing.changes.decided', {
                who: userName(r.decided_by, r.decided_by_name ?? null),
                when: r.decided_at ? f.dateTime(r.decided_at) : '',
              })}
            </Text>
          ) : null}
          {r.rejection_reason ? <Text size="xs">{r.rejection_reason}</Text> : null}
        </Stack>
      ),
    },
    {
      key: 'actions',
      header: t('common.actions'),
      render: (r) =>
        r.status === 'pending' ? (
          <Group gap="xs" wrap="nowrap">
            <Button
              size="xs"
              loading={busy === r.id}
              disabled={!canDecide}
              title={canDecide ? undefined : t('pricing.changes.cannot_decide')}
              onClick={() => approve(r)}
              aria-label={t('pricing.changes.approve_request', {
                list: listById.get(r.price_list_id)?.name ?? r.price_list_id,
              })}
            >
              {t('pricing.changes.approve')}
            </Button>
            {canDecide ? (
              <Button size="xs" color="red" variant="light" onClick={() => setRejecting(r)}>
                {r.initiated_by === session?.user.id
                  ? t('pricing.changes.withdraw')
                  : t('pricing.changes.reject')}
              </Button>
            ) : null}
          </Group>
        ) : null,
    },
  ];

  return (
    <Stack>
      <Title order={2}>{t('pricing.changes.title')}</Title>
      <Card withBorder>
        <Stack gap="xs">
          <Text size="sm">{t('pricing.changes.intro')}</Text>
          {canDecide ? null : (
            <Text size="sm" c="dimmed" data-testid="cannot-decide">
              {t('pricing.changes.cannot_decide')}
            </Text>
          )}
          <ThresholdNote />
          <Accordion variant="contained">
            <Accordion.Item value="settings">
              <Accordion.Control>{t('pricing.settings.show')}</Accordion.Control>
              <Accordion.Panel>
                <PricingSettingsForm />
              </Accordion.Panel>
            </Accordion.Item>
          </Accordion>
          <Select
            label={t('pricing.changes.filter_status')}
            allowDeselect={false}
            w={240}
            data={STATUSES.map((s) => ({ value: s, label: t(`pricing.changes.status.${s}`) }))}
            value={status}
            onChange={(v) => v && setStatus(v as Status)}
          />
        </Stack>
      </Card>
      {problem ? (
        <Alert
          color="red"
          role="alert"
          title={problem.problem.title}
          withCloseButton
          closeButtonLabel={t('common.close')}
          onClose={() => setProblem(null)}
          data-testid="decision-error"
        >
          {problem.kind === 'four-eyes-required'
            ? t('pricing.changes.four_eyes')
            : problem.status === 403
              ? t('pricing.changes.forbidden')
              : problem.status === 409
                ? t('pricing.changes.conflict')
                : null}{' '}
          {problem.problem.detail ?? ''}
        </Alert>
      ) : null}
      <DataTable<Request, { status: Status }>
        queryKey={['price-change-requests']}
        filters={{ status }}
        caption={t('pricing.changes.title')}
        columns={columns}
        rowKey={(r) => r.id}
        emptyTitle={t('pricing.changes.empty')}
        fetchPage={({ cursor, limit, filters: q }) =>
          call(
            client.GET('/api/v1/price-change-requests', {
              params: { query: { limit, status: q.status, ...(cursor ? { cursor } : {}) } },
            }),
          )
        }
      />
      <Modal
        opened={rejecting !== null}
        onClose={() => setRejecting(null)}
        title={t('pricing.changes.reject_title')}
      >
        {rejecting ? (
          <RejectForm
            request={rejecting}
            onDone={async () => {
              setRejecting(null);
              await refresh();
            }}
          />
        ) : null}
      </Modal>
    </Stack>
  );
}

function RejectForm(props: { request: Request; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const form = useForm({ mode: 'controlled', initialValues: { reason: '' } });
  return (
    <ApiForm
      form={form}
      submitLabel={t('pricing.changes.reject')}
      onSubmit={async (v) => {
        await call(
          client.POST('/api/v1/price-change-requests/{price_change_request_id}/reject', {
            params: { path: { price_change_request_id: props.request.id } },
            body: { reason: v.reason },
          }),
        );
        toast.success(t('pricing.changes.rejected'));
        await props.onDone();
      }}
    >
      <Textarea
        label={t('pricing.changes.reason')}
        required
        autosize
        minRows={3}
        {...form.getInputProps('reason')}
      />
    </ApiForm>
  );
}
