import { Button, Divider, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { startAuthentication } from '@simplewebauthn/browser';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client, setCsrfToken } from '../api/client.ts';
import { ApiError } from '../api/problem.ts';
import type { paths } from '../api/schema';
import { ApiForm } from '../ui/Form.tsx';
import { toast } from '../ui/toast.ts';

type WebauthnAssertion = NonNullable<
  paths['/api/v1/auth/step-up']['post']['requestBody']['content']['application/json']['webauthn']
>;

export type StepUp = <T>(action: () => Promise<T>) => Promise<T>;

/**
 * Runs an action; on `step-up-required`, asks for a second factor — a code of the authenticator app,
 * or a passkey / security key when the user has one —, verifies it, and runs the action again.
 */
export function useStepUp(): { run: StepUp; dialog: ReactNode } {
  const { t } = useTranslation();
  const [pending, setPending] = useState<{ resolve: () => void; reject: (e: unknown) => void } | null>(null);
  const form = useForm({ initialValues: { totp_code: '' } });
  // The user's factors (the same query as the security page's), read when the dialog opens.
  const mfa = useQuery({
    queryKey: ['mfa'],
    queryFn: () => call(client.GET('/api/v1/auth/mfa')),
    enabled: pending !== null,
  });
  const hasTotp = mfa.data ? mfa.data.totp === 'active' : true;
  const hasKey = (mfa.data?.webauthn_credentials ?? 0) > 0;
  const run: StepUp = async (action) => {
    try {
      return await action();
    } catch (err) {
      if (!(err instanceof ApiError) || err.kind !== 'step-up-required') throw err;
      await new Promise<void>((resolve, reject) => setPending({ resolve, reject }));
      return action();
    }
  };
  const verified = (csrf: string) => {
    setCsrfToken(csrf);
    form.reset();
    pending?.resolve();
    setPending(null);
  };
  const withKey = async () => {
    try {
      const options = await call(client.POST('/api/v1/auth/step-up/webauthn/options'));
      const assertion = await startAuthentication({ optionsJSON: options as never });
      const res = await call(
        client.POST('/api/v1/auth/step-up', {
          body: { webauthn: assertion as unknown as WebauthnAssertion },
        }),
      );
      verified(res.csrf_token);
    } catch (err) {
      toast.error(err, t('auth.login.key_failed'));
    }
  };
  const dialog = (
    <Modal
      opened={pending !== null}
      onClose={() => {
        pending?.reject(new Error(t('security.step_up.cancelled')));
        setPending(null);
      }}
      title={t('security.step_up.title')}
      centered
      // Above the confirmation dialog the action usually comes from (Mantine's modals are at 200).
      zIndex={300}
    >
      <Stack>
        {hasTotp ? (
          <ApiForm
            form={form}
            submitLabel={t('auth.login.verify')}
            onSubmit={async (values) => {
              const res = await call(
                client.POST('/api/v1/auth/step-up', { body: { totp_code: values.totp_code } }),
              );
              verified(res.csrf_token);
            }}
          >
            <Text size="sm">{t('security.step_up.intro')}</Text>
            <TextInput
              label={t('auth.login.totp_code')}
              inputMode="numeric"
              autoComplete="one-time-code"
              {...form.getInputProps('totp_code')}
            />
          </ApiForm>
        ) : null}
        {hasKey ? (
          <>
            {hasTotp ? (
              <Divider label={t('auth.login.or')} />
            ) : (
              <Text size="sm">{t('security.step_up.intro_passkey')}</Text>
            )}
            <Button variant="default" onClick={withKey}>
              {t('security.step_up.passkey')}
            </Button>
          </>
        ) : null}
      </Stack>
    </Modal>
  );
  return { run, dialog };
}
