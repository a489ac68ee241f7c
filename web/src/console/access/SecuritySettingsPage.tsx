import { Card, NumberInput, Select, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import { useStepUp } from '../../auth/stepUp.tsx';
import { useFormat } from '../../i18n/format.ts';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';

type Settings = components['schemas']['SecuritySettings'];
type Editable = Omit<Settings, 'updated_at'>;

const NUMBERS = [
  ['session_idle_timeout_s', 300, 86400],
  ['session_absolute_timeout_s', 900, 2592000],
  ['step_up_max_age_s', 60, 86400],
  ['password_min_length', 8, 128],
  ['lockout_threshold', 3, 100],
  ['lockout_duration_s', 60, 86400],
  ['token_default_ttl_days', 1, 3650],
  ['token_max_ttl_days', 1, 3650],
] as const;

/**
 * The tenant's security settings (GET / PATCH /api/v1/security-settings): MFA policy, session
 * timeouts, step-up window, password and lockout policy, API token lifetimes.
 */
export function SecuritySettingsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const stepUp = useStepUp();
  const settings = useQuery({
    queryKey: ['security-settings'],
    queryFn: () => call(client.GET('/api/v1/security-settings')),
  });
  const form = useForm<Editable>({
    initialValues: {
      mfa_policy: 'optional',
      session_idle_timeout_s: 1800,
      session_absolute_timeout_s: 43200,
      step_up_max_age_s: 900,
      password_min_length: 12,
      lockout_threshold: 10,
      lockout_duration_s: 900,
      token_default_ttl_days: 90,
      token_max_ttl_days: 365,
    },
  });
  const data = settings.data;
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset the form when the server's settings change
  useEffect(() => {
    if (!data) return;
    const { updated_at: _, ...values } = data;
    form.setValues(values);
    form.resetDirty(values);
  }, [data]);

  return (
    <Stack maw={960}>
      <Title order={2}>{t('access.settings.title')}</Title>
      <Text size="sm" c="dimmed">
        {data?.updated_at
          ? t('access.settings.updated', { date: f.dateTime(data.updated_at) })
          : t('access.settings.defaults')}
      </Text>
      <Card withBorder>
        <ApiForm
          form={form}
          aria-label={t('access.settings.title')}
          submitLabel={t('access.settings.save')}
          onSubmit={async (values) => {
            const initial = data ?? ({} as Partial<Settings>);
            const changed = Object.fromEntries(
              Object.entries(values).filter(([k, v]) => initial[k as keyof Settings] !== v),
            ) as Partial<Editable>;
            if (!Object.keys(changed).length) {
              toast.success(t('access.settings.unchanged'));
              return;
            }
            await stepUp.run(() => call(client.PATCH('/api/v1/security-settings', { body: changed })));
            toast.success(t('access.settings.saved'));
            await queryClient.invalidateQueries({ queryKey: ['security-settings'] });
          }}
        >
          <Select
            label={t('access.settings.mfa_policy')}
            description={t('access.settings.mfa_policy_help')}
            allowDeselect={false}
            data={(['optional', 'required_for_admins', 'required'] as const).map((p) => ({
              value: p,
              label: t(`access.settings.mfa.${p}`),
            }))}
            {...form.getInputProps('mfa_policy')}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {NUMBERS.map(([key, min, max]) => (
              <NumberInput
                key={key}
                label={t(`access.settings.field.${key}`)}
                description={t('access.settings.range', { min: f.number(min), max: f.number(max) })}
                min={min}
                max={max}
                // A value out of range is sent as typed: the API's refusal shows under the field,
                // rather than the input silently changing it on blur.
                clampBehavior="none"
                allowDecimal={false}
                {...form.getInputProps(key)}
              />
            ))}
          </SimpleGrid>
        </ApiForm>
      </Card>
      {stepUp.dialog}
    </Stack>
  );
}
