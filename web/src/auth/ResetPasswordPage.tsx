import { Card, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../api/client.ts';
import { ApiForm } from '../ui/Form.tsx';
import { confirmed, NewPasswordFields, RefusedToken, SignInLinks } from './NewPassword.tsx';

/**
 * "Forgot your password?" (`/password-reset`): without a token, asks for the e-mail address and
 * sends the reset mail (POST /api/v1/auth/password-reset — the same answer whether or not an account
 * has this address); with the token of the mail's link (`?tenant=…&token=…`), sets the new password
 * (POST /api/v1/auth/password-reset/confirm: the token works once, for an hour; every session of the
 * user ends). A refused token or a weak password is shown under its field.
 */
export function ResetPasswordPage(props: { token: string | undefined; tenant: string | undefined }) {
  const { t } = useTranslation();
  return (
    <Stack maw={480} mx="auto" mt="xl">
      <Title order={2}>{t('auth.reset.title')}</Title>
      <Card withBorder padding="lg">
        {props.token ? (
          <NewPassword token={props.token} tenant={props.tenant} />
        ) : (
          <AskForMail tenant={props.tenant} />
        )}
      </Card>
    </Stack>
  );
}

function AskForMail(props: { tenant: string | undefined }) {
  const { t } = useTranslation();
  const [sent, setSent] = useState(false);
  const form = useForm({ initialValues: { email: '' } });
  if (sent)
    return (
      <Text role="status" data-testid="reset-mail-sent">
        {t('auth.reset.sent')}
      </Text>
    );
  return (
    <ApiForm
      form={form}
      aria-label={t('auth.reset.title')}
      submitLabel={t('auth.reset.send')}
      onSubmit={async (v) => {
        await call(
          client.POST('/api/v1/auth/password-reset', {
            body: { email: v.email.trim(), ...(props.tenant ? { tenant: props.tenant } : {}) },
          }),
        );
        setSent(true);
      }}
    >
      <Text size="sm">{t('auth.reset.intro')}</Text>
      <TextInput
        label={t('auth.login.email')}
        type="email"
        autoComplete="username"
        required
        {...form.getInputProps('email')}
      />
    </ApiForm>
  );
}

function NewPassword(props: { token: string; tenant: string | undefined }) {
  const { t } = useTranslation();
  const [done, setDone] = useState(false);
  const form = useForm({ initialValues: { new_password: '', confirm: '', token: '' } });
  if (done)
    return (
      <Stack data-testid="password-reset-done">
        <Text>{t('auth.reset.done')}</Text>
        <SignInLinks />
      </Stack>
    );
  return (
    <ApiForm
      form={form}
      aria-label={t('auth.reset.title')}
      submitLabel={t('auth.reset.submit')}
      onSubmit={async (v) => {
        if (!confirmed(form, v.new_password, v.confirm, t('auth.invitation.mismatch'))) return;
        await call(
          client.POST('/api/v1/auth/password-reset/confirm', {
            body: {
              token: props.token,
              new_password: v.new_password,
              ...(props.tenant ? { tenant: props.tenant } : {}),
            },
          }),
        );
        setDone(true);
      }}
    >
      <RefusedToken error={form.errors.token} message={t('auth.reset.invalid')} />
      <NewPasswordFields form={form} field="new_password" label={t('auth.reset.new_password')} />
    </ApiForm>
  );
}
