import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../api/client.ts';
import type { components } from '../api/schema';
import { useStepUp } from '../auth/stepUp.tsx';
import { useFormat } from '../i18n/format.ts';
import { type Column, DataTable } from '../ui/DataTable.tsx';
import { toast } from '../ui/toast.ts';
import { saveFile } from './access/shared.ts';

type AuditEvent = components['schemas']['AuditEvent'];
type Outcome = 'success' | 'failure' | 'denied';

interface AuditFilters {
  actor_id: string | null;
  action: string;
  outcome: Outcome | null;
  from: string;
  to: string;
}

/** Coloured alert text is below WCAG AA for green, orange and red: the text keeps the body colour. */
const READABLE_ALERT = {
  title: { color: 'var(--mantine-color-text)' },
  message: { color: 'var(--mantine-color-text)' },
};
/**
 * The audit trail (GET /api/v1/audit/events): filters by actor, action, outcome and date; the
 * export link (GET /api/v1/audit/export, JSON lines, verifiable offline); the chain verification
 * status (GET /api/v1/audit/verification).
 */
export function AuditPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const [filters, setFilters] = useState<AuditFilters>({
    actor_id: null,
    action: '',
    outcome: null,
    from: '',
    to: '',
  });
  const stepUp = useStepUp();
  const [exporting, setExporting] = useState(false);
  // The export is a sensitive read: it may ask for a fresh second factor (step-up).
  const exportTrail = async () => {
    setExporting(true);
    try {
      const blob = await stepUp.run(() => call(client.GET('/api/v1/audit/export', { parseAs: 'blob' })));
      saveFile(blob, `audit-${new Date().toISOString().slice(0, 10)}.jsonl`);
    } catch (err) {
      toast.error(err);
    } finally {
      setExporting(false);
    }
  };
  const [debounced] = useDebouncedValue(filters, 300);
  const users = useQuery({
    queryKey: ['users', 'staff-and-buyers'],
    queryFn: () => call(client.GET('/api/v1/users', { params: { query: { limit: 200 } } })),
  });
  const verification = useQuery({
    queryKey: ['audit-verification'],
    queryFn: () => call(client.GET('/api/v1/audit/verification')),
  });
  const v = verification.data;

  const columns: Column<AuditEvent>[] = [
    { key: 'when', header: t('audit.col.when'), render: (e) => f.dateTime(e.occurred_at) },
    {
      key: 'actor',
      header: t('audit.col.actor'),
      render: (e) => (
        <Stack gap={0}>
          <Text size="sm">{e.actor.name}</Text>
          <Text size="xs" c="dimmed">
            {e.actor.type}
          </Text>
        </Stack>
      ),
    },
    { key: 'action', header: t('audit.col.action'), render: (e) => <Code>{e.action}</Code> },
    {
      key: 'resource',
      header: t('audit.col.resource'),
      render: (e) => (e.resource ? `${e.resource.type}${e.resource.id ? ` ${e.resource.id}` : ''}` : '—'),
    },
    {
      key: 'outcome',
      header: t('audit.col.outcome'),
      render: (e) => (
        <Badge
          color={e.outcome === 'success' ? 'green' : e.outcome === 'denied' ? 'orange' : 'red'}
          variant="dot"
        >
          {t(`audit.outcome.${e.outcome}`)}
        </Badge>
      ),
    },
    { key: 'ip', header: t('audit.col.ip'), render: (e) => e.source_ip ?? '—' },
  ];

  const set = <K extends keyof AuditFilters>(key: K, value: AuditFilters[K]) =>
    setFilters((prev) => ({ ...prev, [key]: value }));

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('audit.title')}</Title>
        <Button variant="default" onClick={exportTrail} loading={exporting} data-testid="audit-export">
          {t('audit.export')}
        </Button>
      </Group>
      {v ? (
        <Alert
          color={v.ok ? 'green' : 'red'}
          title={v.ok ? t('audit.chain.ok') : t('audit.chain.broken')}
          data-testid="audit-chain"
          variant="outline"
          styles={READABLE_ALERT}
        >
          {t('audit.chain.detail', {
            events: f.number(v.events_checked),
            checkpoints: f.number(v.checkpoints_checked),
            unsealed: f.number(v.unsealed),
          })}
          {v.problems.map((p) => (
            <Text key={`${p.seq}-${p.problem}`} size="sm">
              #{p.seq ?? '?'}: {p.problem}
            </Text>
          ))}
        </Alert>
      ) : null}
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, sm: 2, md: 5 }}>
          <Select
            label={t('audit.filter.actor')}
            placeholder={t('audit.filter.anyone')}
            searchable
            clearable
            data={(users.data?.data ?? []).map((u) => ({
              value: u.id,
              label: `${u.display_name} (${u.email})`,
            }))}
            value={filters.actor_id}
            onChange={(value) => set('actor_id', value)}
          />
          <TextInput
            label={t('audit.filter.action')}
            placeholder="identity.login"
            value={filters.action}
            onChange={(e) => set('action', e.currentTarget.value)}
          />
          <Select
            label={t('audit.filter.outcome')}
            placeholder={t('audit.filter.any_outcome')}
            clearable
            data={(['success', 'failure', 'denied'] as const).map((o) => ({
              value: o,
              label: t(`audit.outcome.${o}`),
            }))}
            value={filters.outcome}
            onChange={(value) => set('outcome', value as Outcome | null)}
          />
          <TextInput
            label={t('audit.filter.from')}
            type="date"
            value={filters.from}
            onChange={(e) => set('from', e.currentTarget.value)}
          />
          <TextInput
            label={t('audit.filter.to')}
            type="date"
            value={filters.to}
            onChange={(e) => set('to', e.currentTarget.value)}
          />
        </SimpleGrid>
      </Card>
      <DataTable<AuditEvent, AuditFilters>
        queryKey={['audit-events']}
        filters={debounced}
        caption={t('audit.title')}
        columns={columns}
        rowKey={(e) => e.id}
        emptyTitle={t('audit.empty')}
        fetchPage={({ cursor, limit, filters: q }) =>
          call(
            client.GET('/api/v1/audit/events', {
              params: {
                query: {
                  limit,
                  ...(cursor ? { cursor } : {}),
                  ...(q.actor_id ? { actor_id: q.actor_id } : {}),
                  ...(q.action.trim() ? { action: q.action.trim() } : {}),
                  ...(q.outcome ? { outcome: q.outcome } : {}),
                  ...(q.from ? { from: new Date(`${q.from}T00:00:00`).toISOString() } : {}),
                  ...(q.to ? { to: new Date(`${q.to}T23:59:59.999`).toISOString() } : {}),
                },
              },
            }),
          )
        }
      />
      {stepUp.dialog}
    </Stack>
  );
}
