import { Alert, Card, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../api/client.ts';
import { ApiForm } from '../ui/Form.tsx';
import { confirmed, NewPasswordFields, RefusedToken, SignInLinks } from './NewPassword.tsx';

/**
 * The page an invitation mail links to (`/invitations/accept?tenant=…&token=…`): the invited person
 * chooses their name and password (POST /api/v1/auth/invitations/accept — the token works once,
 * for 7 days), then signs in. A refused token or a weak password is shown under its field.
 */
export function AcceptInvitationPage(props: { token: string | undefined; tenant: string | undefined }) {
  const { t } = useTranslation();
  const [done, setDone] = useState(false);
  const form = useForm({ initialValues: { display_name: '', password: '', confirm: '', token: '' } });

  if (!props.token)
    return (
      <Stack maw={480} mx="auto" mt="xl">
        <Title order={2}>{t('auth.invitation.title')}</Title>
        <Alert color="red" role="alert">
          {t('auth.invitation.no_token')}
        </Alert>
      </Stack>
    );

  return (
    <Stack maw={480} mx="auto" mt="xl">
      <Title order={2}>{t('auth.invitation.title')}</Title>
      <Card withBorder padding="lg">
        {done ? (
          <Stack data-testid="invitation-accepted">
            <Text>{t('auth.invitation.done')}</Text>
            <SignInLinks />
          </Stack>
        ) : (
          <ApiForm
            form={form}
            aria-label={t('auth.invitation.title')}
            submitLabel={t('auth.invitation.submit')}
            onSubmit={async (v) => {
              if (!confirmed(form, v.password, v.confirm, t('auth.invitation.mismatch'))) return;
              await call(
                client.POST('/api/v1/auth/invitations/accept', {
                  body: {
                    token: props.token ?? '',
                    password: v.password,
                    display_name: v.display_name.trim(),
                    ...(props.tenant ? { tenant: props.tenant } : {}),
                  },
                }),
              );
              setDone(true);
            }}
          >
            <Text size="sm">{t('auth.invitation.intro')}</Text>
            <RefusedToken error={form.errors.token} message={t('auth.invitation.invalid')} />
            <TextInput
              label={t('auth.invitation.display_name')}
              autoComplete="name"
              required
              {...form.getInputProps('display_name')}
            />
            <NewPasswordFields form={form} field="password" label={t('auth.invitation.password')} />
          </ApiForm>
        )}
      </Card>
    </Stack>
  );
}
