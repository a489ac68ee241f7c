import { Checkbox, Group, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';

type Settings = {
  approval_threshold_percent: string | null;
  approval_threshold_amount: string | null;
  approve_additions_and_removals: boolean;
};

/**
 * The approval policy (PATCH /api/v1/pricing/settings): changing it takes pricing.price_list.approve
 * — whoever approves sets the threshold. An empty field switches its rule off.
 */
export function PricingSettingsForm() {
  const settings = useQuery({
    queryKey: ['pricing-settings'],
    queryFn: () => call(client.GET('/api/v1/pricing/settings')),
  });
  if (!settings.data) return null;
  return <SettingsForm key={settings.data.updated_at ?? 'default'} settings={settings.data} />;
}

function SettingsForm({ settings }: { settings: Settings }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      approval_threshold_percent: settings.approval_threshold_percent ?? '',
      approval_threshold_amount: settings.approval_threshold_amount ?? '',
      approve_additions_and_removals: settings.approve_additions_and_removals,
    },
  });
  const orNull = (s: string) => (s.trim() ? s.trim().replace(',', '.') : null);
  return (
    <ApiForm
      form={form}
      aria-label={t('pricing.settings.title')}
      submitLabel={t('pricing.settings.save')}
      onSubmit={async (v) => {
        await call(
          client.PATCH('/api/v1/pricing/settings', {
            body: {
              approval_threshold_percent: orNull(v.approval_threshold_percent),
              approval_threshold_amount: orNull(v.approval_threshold_amount),
              approve_additions_and_removals: v.approve_additions_and_removals,
            },
          }),
        );
        await queryClient.invalidateQueries({ queryKey: ['pricing-settings'] });
        toast.success(t('pricing.settings.saved'));
      }}
    >
      <Group grow align="flex-start">
        <TextInput
          label={t('pricing.settings.percent')}
          description={t('pricing.settings.off_hint')}
          inputMode="decimal"
          {...form.getInputProps('approval_threshold_percent')}
        />
        <TextInput
          label={t('pricing.settings.amount')}
          description={t('pricing.settings.off_hint')}
          inputMode="decimal"
          {...form.getInputProps('approval_threshold_amount')}
        />
      </Group>
      <Checkbox
        label={t('pricing.settings.additions')}
        {...form.getInputProps('approve_additions_and_removals', { type: 'checkbox' })}
      />
    </ApiForm>
  );
}
