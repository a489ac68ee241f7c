import { Alert, Button, Card, Group, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../api/client.ts';
import { ApiForm } from '../ui/Form.tsx';

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
            <Group>
              <Button component={Link} to="/console/login">
                {t('auth.invitation.sign_in_console')}
              </Button>
              <Button component={Link} to="/login" variant="default">
                {t('auth.invitation.sign_in_shop')}
              </Button>
            </Group>
          </Stack>
        ) : (
          <ApiForm
            form={form}
            aria-label={t('auth.invitation.title')}
            submitLabel={t('auth.invitation.submit')}
            onSubmit={async (v) => {
              if (v.password !== v.confirm) {
                form.setFieldError('confirm', t('auth.invitation.mismatch'));
                return;
              }
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
            {/* A refused invitation (used, expired) is reported on `token`, which has no input. */}
            {form.errors.token ? (
              <Alert color="red" role="alert">
                {t('auth.invitation.invalid')}
              </Alert>
            ) : null}
            <TextInput
              label={t('auth.invitation.display_name')}
              autoComplete="name"
              required
              {...form.getInputProps('display_name')}
            />
            <PasswordInput
              label={t('auth.invitation.password')}
              description={t('auth.invitation.password_help')}
              autoComplete="new-password"
              required
              {...form.getInputProps('password')}
            />
            <PasswordInput
              label={t('auth.invitation.confirm')}
              autoComplete="new-password"
              required
              {...form.getInputProps('confirm')}
            />
          </ApiForm>
        )}
      </Card>
    </Stack>
  );
}
