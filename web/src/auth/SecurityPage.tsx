import {
  Badge,
  Button,
  Card,
  Code,
  Group,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { startRegistration } from '@simplewebauthn/browser';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../api/client.ts';
import type { paths } from '../api/schema';
import { useFormat } from '../i18n/format.ts';
import { ConfirmButton } from '../ui/ConfirmButton.tsx';
import { EmptyState } from '../ui/EmptyState.tsx';
import { ApiForm } from '../ui/Form.tsx';
import { toast } from '../ui/toast.ts';
import { type StepUp, useStepUp } from './stepUp.tsx';

type Registration =
  paths['/api/v1/auth/mfa/webauthn/registration']['post']['requestBody']['content']['application/json']['response'];

/**
 * The signed-in user's own security: sessions, authenticator app (TOTP), passkeys and security
 * keys, API tokens. Sensitive changes may need a fresh second factor (step-up): the dialog asks for
 * a code, then the change is retried.
 */
export function SecurityPage() {
  const { t } = useTranslation();
  const stepUp = useStepUp();
  return (
    <Stack maw={960}>
      <Title order={2}>{t('security.title')}</Title>
      <SessionsCard />
      <TotpCard stepUp={stepUp.run} />
      <PasskeysCard stepUp={stepUp.run} />
      <TokensCard stepUp={stepUp.run} />
      {stepUp.dialog}
    </Stack>
  );
}

function SessionsCard() {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const sessions = useQuery({
    queryKey: ['own-sessions'],
    queryFn: () => call(client.GET('/api/v1/auth/sessions')),
  });
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="sm">
        {t('security.sessions.title')}
      </Title>
      <Table.ScrollContainer minWidth={560}>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('security.sessions.started')}</Table.Th>
              <Table.Th scope="col">{t('security.sessions.last_seen')}</Table.Th>
              <Table.Th scope="col">{t('security.sessions.device')}</Table.Th>
              <Table.Th scope="col">
                <VisuallyHidden>{t('common.actions')}</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(sessions.data?.data ?? []).map((s) => (
              <Table.Tr key={s.id}>
                <Table.Td>{f.dateTime(s.created_at)}</Table.Td>
                <Table.Td>{f.dateTime(s.last_seen_at)}</Table.Td>
                <Table.Td>
                  <Text size="sm" lineClamp={1}>
                    {s.user_agent ?? '—'} {s.ip ? `(${s.ip})` : ''}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {s.current ? (
                    <Badge variant="light">{t('security.sessions.current')}</Badge>
                  ) : (
                    <ConfirmButton
                      size="xs"
                      title={t('security.sessions.revoke_title')}
                      message={t('security.sessions.revoke_message')}
                      confirmLabel={t('security.sessions.revoke')}
                      onConfirm={async () => {
                        await call(
                          client.DELETE('/api/v1/auth/sessions/{session_id}', {
                            params: { path: { session_id: s.id } },
                          }),
                        );
                        toast.success(t('security.sessions.revoked'));
                        await queryClient.invalidateQueries({ queryKey: ['own-sessions'] });
                      }}
                    >
                      {t('security.sessions.revoke')}
                    </ConfirmButton>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}

function TotpCard(props: { stepUp: StepUp }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const mfa = useQuery({ queryKey: ['mfa'], queryFn: () => call(client.GET('/api/v1/auth/mfa')) });
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauth_uri: string } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const form = useForm({ initialValues: { code: '' } });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['mfa'] });
  const state = mfa.data?.totp ?? 'none';
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4">
          {t('security.totp.title')}
        </Title>
        <Badge variant="dot" color={state === 'active' ? 'green' : 'gray'} data-testid="totp-status">
          {t(`security.totp.state.${state}`)}
        </Badge>
      </Group>
      {codes ? (
        <Stack>
          <Text>{t('auth.recovery_codes.intro')}</Text>
          <Code block>{codes.join('\n')}</Code>
          <Button onClick={() => setCodes(null)}>{t('auth.recovery_codes.done')}</Button>
        </Stack>
      ) : enrolment ? (
        <ApiForm
          form={form}
          submitLabel={t('security.totp.confirm')}
          onSubmit={async (values) => {
            const res = await call(client.POST('/api/v1/auth/mfa/totp/confirm', { body: values }));
            setEnrolment(null);
            setCodes(res.recovery_codes ?? null);
            toast.success(t('security.totp.enabled'));
            await refresh();
          }}
        >
          <Text size="sm">{t('security.totp.enrol_intro')}</Text>
          <Code data-testid="totp-secret">{enrolment.secret}</Code>
          <TextInput
            label={t('auth.login.totp_code')}
            inputMode="numeric"
            autoComplete="one-time-code"
            {...form.getInputProps('code')}
          />
        </ApiForm>
      ) : state === 'active' ? (
        <ConfirmButton
          title={t('security.totp.remove_title')}
          message={t('security.totp.remove_message')}
          confirmLabel={t('security.totp.remove')}
          onConfirm={async () => {
            await props.stepUp(() => call(client.DELETE('/api/v1/auth/mfa/totp')));
            toast.success(t('security.totp.removed'));
            await refresh();
          }}
        >
          {t('security.totp.remove')}
        </ConfirmButton>
      ) : (
        <Button
          onClick={async () => {
            try {
              setEnrolment(await call(client.POST('/api/v1/auth/mfa/totp')));
            } catch (err) {
              toast.error(err);
            }
          }}
        >
          {t('security.totp.enrol')}
        </Button>
      )}
    </Card>
  );
}

function PasskeysCard(props: { stepUp: StepUp }) {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const keys = useQuery({
    queryKey: ['passkeys'],
    queryFn: () => call(client.GET('/api/v1/auth/mfa/webauthn/credentials')),
  });
  const [name, setName] = useState('');
  const add = async () => {
    try {
      const options = await call(client.POST('/api/v1/auth/mfa/webauthn/registration/options'));
      const response = await startRegistration({ optionsJSON: options as never });
      await call(
        client.POST('/api/v1/auth/mfa/webauthn/registration', {
          body: {
            name: name || t('security.passkeys.default_name'),
            response: response as unknown as Registration,
          },
        }),
      );
      setName('');
      toast.success(t('security.passkeys.added'));
      await queryClient.invalidateQueries({ queryKey: ['passkeys'] });
      await queryClient.invalidateQueries({ queryKey: ['mfa'] });
    } catch (err) {
      toast.error(err);
    }
  };
  const list = keys.data?.data ?? [];
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="sm">
        {t('security.passkeys.title')}
      </Title>
      {list.length ? (
        <Stack gap="xs" mb="sm" data-testid="passkey-list">
          {list.map((k) => (
            <Group key={k.id} justify="space-between">
              <Text size="sm">
                {k.name} — {f.date(k.created_at)}
              </Text>
              <ConfirmButton
                size="xs"
                title={t('security.passkeys.remove_title')}
                message={t('security.passkeys.remove_message', { name: k.name })}
                confirmLabel={t('security.passkeys.remove')}
                onConfirm={async () => {
                  await props.stepUp(() =>
                    call(
                      client.DELETE('/api/v1/auth/mfa/webauthn/credentials/{credential_id}', {
                        params: { path: { credential_id: k.id } },
                      }),
                    ),
                  );
                  toast.success(t('security.passkeys.removed'));
                  await queryClient.invalidateQueries({ queryKey: ['passkeys'] });
                  await queryClient.invalidateQueries({ queryKey: ['mfa'] });
                }}
              >
                {t('security.passkeys.remove')}
              </ConfirmButton>
            </Group>
          ))}
        </Stack>
      ) : (
        <Text size="sm" c="dimmed" mb="sm">
          {t('security.passkeys.none')}
        </Text>
      )}
      <Group align="flex-end">
        <TextInput
          label={t('security.passkeys.name')}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          maxLength={100}
        />
        <Button onClick={add}>{t('security.passkeys.add')}</Button>
      </Group>
    </Card>
  );
}

function TokensCard(props: { stepUp: StepUp }) {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const tokens = useQuery({
    queryKey: ['own-tokens'],
    queryFn: () => call(client.GET('/api/v1/api-tokens', { params: { query: { limit: 200 } } })),
  });
  const [secret, setSecret] = useState<string | null>(null);
  const form = useForm({ initialValues: { name: '', scopes: '*' } });
  const list = tokens.data?.data ?? [];
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="sm">
        {t('security.tokens.title')}
      </Title>
      {list.length ? (
        <Table.ScrollContainer minWidth={560}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('security.tokens.name')}</Table.Th>
                <Table.Th scope="col">{t('security.tokens.hint')}</Table.Th>
                <Table.Th scope="col">{t('security.tokens.last_used')}</Table.Th>
                <Table.Th scope="col">
                  <VisuallyHidden>{t('common.actions')}</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((tok) => (
                <Table.Tr key={tok.id}>
                  <Table.Td>{tok.name}</Table.Td>
                  <Table.Td>
                    <Code>…{tok.token_hint}</Code>
                  </Table.Td>
                  <Table.Td>{tok.last_used_at ? f.dateTime(tok.last_used_at) : '—'}</Table.Td>
                  <Table.Td>
                    <ConfirmButton
                      size="xs"
                      title={t('security.tokens.revoke_title')}
                      message={t('security.tokens.revoke_message', { name: tok.name })}
                      confirmLabel={t('security.tokens.revoke')}
                      onConfirm={async () => {
                        await props.stepUp(() =>
                          call(
                            client.DELETE('/api/v1/api-tokens/{token_id}', {
                              params: { path: { token_id: tok.id } },
                            }),
                          ),
                        );
                        toast.success(t('security.tokens.revoked'));
                        await queryClient.invalidateQueries({ queryKey: ['own-tokens'] });
                      }}
                    >
                      {t('security.tokens.revoke')}
                    </ConfirmButton>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <EmptyState title={t('security.tokens.none')} />
      )}
      {secret ? (
        <Stack gap="xs" mt="sm">
          <Text size="sm">{t('security.tokens.secret_once')}</Text>
          <Code block data-testid="token-secret">
            {secret}
          </Code>
        </Stack>
      ) : null}
      <Title order={4} size="h5" mt="md" mb="xs">
        {t('security.tokens.create')}
      </Title>
      <ApiForm
        form={form}
        submitLabel={t('security.tokens.create')}
        onSubmit={async (values) => {
          const scopes = values.scopes
            .split(/[\s,]+/)
            .map((s) => s.trim())
            .filter(Boolean);
          const created = await props.stepUp(() =>
            call(client.POST('/api/v1/api-tokens', { body: { name: values.name, scopes } })),
          );
          setSecret(created.token);
          form.reset();
          await queryClient.invalidateQueries({ queryKey: ['own-tokens'] });
        }}
      >
        <TextInput label={t('security.tokens.name')} required {...form.getInputProps('name')} />
        <TextInput
          label={t('security.tokens.scopes')}
          description={t('security.tokens.scopes_help')}
          {...form.getInputProps('scopes')}
        />
      </ApiForm>
    </Card>
  );
}
