import { Progress, Stack, Text } from '@mantine/core';
import { useIsFetching, useIsMutating } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';

/** A thin bar at the top of a shell while anything loads or saves. */
export function ActivityBar() {
  const { t } = useTranslation();
  const busy = useIsFetching() + useIsMutating() > 0;
  return (
    <Progress
      value={100}
      animated
      striped
      size={3}
      radius={0}
      aria-label={t('common.loading')}
      style={{ visibility: busy ? 'visible' : 'hidden' }}
    />
  );
}

/**
 * Progress of a long operation (an export, an import, a bulk change): a percentage when the API
 * reports one, else an animated bar; the label says what is happening.
 */
export function OperationProgress(props: { label: string; value?: number | null }) {
  const known = typeof props.value === 'number';
  return (
    <Stack gap={4} role="status" aria-live="polite">
      <Text size="sm">
        {props.label}
        {known ? ` — ${Math.round(props.value ?? 0)} %` : ''}
      </Text>
      <Progress
        value={known ? (props.value ?? 0) : 100}
        animated={!known}
        striped={!known}
        aria-label={props.label}
      />
    </Stack>
  );
}
