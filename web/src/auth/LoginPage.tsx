import {
  Anchor,
  Button,
  Card,
  Code,
  Divider,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { startAuthentication } from '@simplewebauthn/browser';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../api/client.ts';
import type { paths } from '../api/schema';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import { ApiForm } from '../ui/Form.tsx';
import { toast } from '../ui/toast.ts';
import { signedIn } from './session.ts';

type WebauthnAssertion =
  paths['/api/v1/auth/passkey/login']['post']['requestBody']['content']['application/json']['webauthn'];
type MfaChallenge = {
  pending_token: string;
  methods: ('totp' | 'recovery_code' | 'webauthn')[];
  enrolment_required: boolean;
};

/**
 * Sign-in, for the console (staff) and the storefront (buyers): e-mail and password, then the
 * second factor when the API asks for one (TOTP code, recovery code or security key), or a passkey
 * alone. Nothing is stored in the browser but the HttpOnly session cookie the API sets.
 */
export function LoginPage(props: { area: 'console' | 'storefront'; redirect?: string | undefined }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [mfa, setMfa] = useState<MfaChallenge | null>(null);
  const [enrolSecret, setEnrolSecret] = useState<string | null>(null);
  const [useRecovery, setUseRecovery] = useState(false);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);

  const finish = async (csrf: string, codes?: string[] | null) => {
    const session = await signedIn(queryClient, csrf);
    if (codes?.length) {
      setRecoveryCodes(codes);
      return;
    }
    await go(session?.user.kind);
  };
  const go = async (kind: string | undefined) => {
    const home = props.area === 'console' && kind === 'staff' ? '/console' : '/';
    const target =
      props.redirect?.startsWith('/') && !props.redirect.startsWith('//') ? props.redirect : home;
    await navigate({ to: target });
  };

  const passwordForm = useForm({ initialValues: { email: '', password: '' } });
  const mfaForm = useForm({ initialValues: { totp_code: '', recovery_code: '' } });

  const submitPassword = async (values: { email: string; password: string }) => {
    const res = await call(client.POST('/api/v1/auth/login', { body: values }));
    if (res.status === 'authenticated' && res.csrf_token) return finish(res.csrf_token);
    if (res.mfa) {
      setMfa(res.mfa);
      if (res.mfa.enrolment_required) {
        const enrolment = await call(
          client.POST('/api/v1/auth/login/mfa/totp', { body: { pending_token: res.mfa.pending_token } }),
        );
        setEnrolSecret(enrolment.secret);
      }
    }
  };

  const submitMfa = async (values: { totp_code: string; recovery_code: string }) => {
    if (!mfa) return;
    const body = useRecovery
      ? { pending_token: mfa.pending_token, recovery_code: values.recovery_code.trim() }
      : { pending_token: mfa.pending_token, totp_code: values.totp_code.trim() };
    const res = await call(client.POST('/api/v1/auth/login/mfa', { body }));
    await finish(res.csrf_token, res.recovery_codes);
  };

  const securityKey = async () => {
    if (!mfa) return;
    try {
      const options = await call(
        client.POST('/api/v1/auth/mfa/webauthn/authentication/options', {
          body: { pending_token: mfa.pending_token },
        }),
      );
      const assertion = await startAuthentication({ optionsJSON: options as never });
      const res = await call(
        client.POST('/api/v1/auth/login/mfa', {
          body: { pending_token: mfa.pending_token, webauthn: assertion as unknown as WebauthnAssertion },
        }),
      );
      await finish(res.csrf_token, res.recovery_codes);
    } catch (err) {
      toast.error(err, t('auth.login.key_failed'));
    }
  };

  const passkey = async () => {
    try {
      const options = await call(client.POST('/api/v1/auth/passkey/options', { body: {} }));
      const assertion = await startAuthentication({ optionsJSON: options as never });
      const res = await call(
        client.POST('/api/v1/auth/passkey/login', {
          body: { webauthn: assertion as unknown as WebauthnAssertion },
        }),
      );
      await finish(res.csrf_token, res.recovery_codes);
    } catch (err) {
      toast.error(err, t('auth.login.key_failed'));
    }
  };

  return (
    <Stack maw={420} mx="auto" mt="xl">
      <Title order={2}>
        {props.area === 'console' ? t('auth.login.title_console') : t('auth.login.title')}
      </Title>
      <Card withBorder padding="lg">
        {recoveryCodes ? (
          <Stack>
            <Text>{t('auth.recovery_codes.intro')}</Text>
            <Code block data-testid="recovery-codes">
              {recoveryCodes.join('\n')}
            </Code>
            <Button
              onClick={() =>
                void go(queryClient.getQueryData<{ user: { kind: string } }>(['session'])?.user.kind)
              }
            >
              {t('auth.recovery_codes.done')}
            </Button>
          </Stack>
        ) : !mfa ? (
          <Stack>
            <ApiForm form={passwordForm} onSubmit={submitPassword} submitLabel={t('auth.login.submit')}>
              <TextInput
                label={t('auth.login.email')}
                type="email"
                autoComplete="username webauthn"
                required
                {...passwordForm.getInputProps('email')}
              />
              <PasswordInput
                label={t('auth.login.password')}
                autoComplete="current-password"
                required
                {...passwordForm.getInputProps('password')}
              />
            </ApiForm>
            <AnchorLink to="/password-reset" search={{ token: undefined, tenant: undefined }} size="sm">
              {t('auth.login.forgot')}
            </AnchorLink>
            <Divider label={t('auth.login.or')} />
            <Button variant="default" onClick={passkey}>
              {t('auth.login.passkey')}
            </Button>
          </Stack>
        ) : (
          <Stack>
            {enrolSecret ? (
              <Stack gap="xs">
                <Text>{t('auth.login.enrol_intro')}</Text>
                <Code data-testid="totp-secret">{enrolSecret}</Code>
              </Stack>
            ) : (
              <Text>{t('auth.login.mfa_intro')}</Text>
            )}
            <ApiForm form={mfaForm} onSubmit={submitMfa} submitLabel={t('auth.login.verify')}>
              {useRecovery ? (
                <TextInput
                  label={t('auth.login.recovery_code')}
                  autoComplete="off"
                  {...mfaForm.getInputProps('recovery_code')}
                />
              ) : (
                <TextInput
                  label={t('auth.login.totp_code')}
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  maxLength={6}
                  data-autofocus
                  {...mfaForm.getInputProps('totp_code')}
                />
              )}
            </ApiForm>
            {mfa.methods.includes('recovery_code') ? (
              <Anchor component="button" type="button" size="sm" onClick={() => setUseRecovery((v) => !v)}>
                {useRecovery ? t('auth.login.use_totp') : t('auth.login.use_recovery')}
              </Anchor>
            ) : null}
            {mfa.methods.includes('webauthn') ? (
              <Button variant="default" onClick={securityKey}>
                {t('auth.login.security_key')}
              </Button>
            ) : null}
          </Stack>
        )}
      </Card>
    </Stack>
  );
}
