import { Alert, Button, Group, PasswordInput } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';

/**
 * What the pages that set a password from a mailed token share (invitation, password reset): the
 * token's refusal, the new password twice, and where to sign in afterwards.
 */

/** A refused token (used, expired) is reported by the API on `token`, which has no input. */
export function RefusedToken(props: { error: unknown; message: string }) {
  return props.error ? (
    <Alert color="red" role="alert">
      {props.message}
    </Alert>
  ) : null;
}

/** The new password and its confirmation; `label` names the first field. */
export function NewPasswordFields(props: {
  // biome-ignore lint/suspicious/noExplicitAny: the pages' forms differ; only these two fields are read
  form: UseFormReturnType<any>;
  field: string;
  label: string;
}) {
  const { t } = useTranslation();
  return (
    <>
      <PasswordInput
        label={props.label}
        description={t('auth.invitation.password_help')}
        autoComplete="new-password"
        required
        {...props.form.getInputProps(props.field)}
      />
      <PasswordInput
        label={t('auth.invitation.confirm')}
        autoComplete="new-password"
        required
        {...props.form.getInputProps('confirm')}
      />
    </>
  );
}

/** False (and the error under the confirmation) when the two passwords differ. */
export function confirmed(
  // biome-ignore lint/suspicious/noExplicitAny: see NewPasswordFields
  form: UseFormReturnType<any>,
  password: string,
  confirm: string,
  mismatch: string,
): boolean {
  if (password === confirm) return true;
  form.setFieldError('confirm', mismatch);
  return false;
}

/** After the password is set: sign in to the console or to the shop. */
export function SignInLinks() {
  const { t } = useTranslation();
  return (
    <Group>
      <Button component={Link} to="/console/login">
        {t('auth.invitation.sign_in_console')}
      </Button>
      <Button component={Link} to="/login" variant="default">
        {t('auth.invitation.sign_in_shop')}
      </Button>
    </Group>
  );
}
