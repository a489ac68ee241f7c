import { Alert, Button, Group, Stack } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/problem.ts';

/**
 * A form bound to the API's problem details: on a refusal, each `errors[]` entry is shown under the
 * field its JSON Pointer names (`/siret` → field `siret`, `/lines/0/qty` → `lines.0.qty`); what
 * names no field of the form is shown above the buttons. Field names are the API's snake_case ones.
 */
export function ApiForm<Values extends Record<string, unknown>>(props: {
  form: UseFormReturnType<Values>;
  onSubmit: (values: Values) => Promise<unknown>;
  submitLabel: string;
  children: ReactNode;
  /** Extra buttons next to the submit one. */
  actions?: ReactNode;
  'aria-label'?: string;
}) {
  const { t } = useTranslation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = props.form.onSubmit(async (values) => {
    setError(null);
    setBusy(true);
    try {
      await props.onSubmit(values);
    } catch (err) {
      setError(bindProblem(err, props.form, t('common.unexpected_error')));
    } finally {
      setBusy(false);
    }
  });
  return (
    <form onSubmit={submit} noValidate aria-label={props['aria-label']}>
      <Stack gap="sm">
        {props.children}
        {error ? (
          <Alert color="red" role="alert" data-testid="form-error">
            {error}
          </Alert>
        ) : null}
        <Group>
          <Button type="submit" loading={busy}>
            {props.submitLabel}
          </Button>
          {props.actions}
        </Group>
      </Stack>
    </form>
  );
}

/**
 * Puts an API error's field errors on the form; returns the message for everything else (null if
 * every error found its field).
 */
export function bindProblem<Values>(
  err: unknown,
  form: UseFormReturnType<Values>,
  fallback: string,
): string | null {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : fallback;
  const fields = err.fieldErrors();
  const values = form.getValues() as Record<string, unknown>;
  const bound: Record<string, string> = {};
  for (const [path, detail] of Object.entries(fields)) {
    const top = path.split('.')[0]!;
    if (!path || !(top in values)) continue;
    // `/scopes/0` on a form whose `scopes` is one text field: shown under that field.
    const field = values[top] !== null && typeof values[top] === 'object' ? path : top;
    bound[field] = bound[field] ? `${bound[field]}; ${detail}` : detail;
  }
  form.setErrors(bound);
  const rest = Object.keys(fields).filter((p) => !(p in bound));
  if (Object.keys(bound).length && !rest.length && err.kind === 'validation-error') return null;
  return err.message;
}
