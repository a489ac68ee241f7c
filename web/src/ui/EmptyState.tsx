import { Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/** What a list or a page shows when there is nothing yet — and what to do about it. */
export function EmptyState(props: { title: string; description?: string; action?: ReactNode }) {
  return (
    <Stack align="center" gap="xs" py="xl" data-testid="empty-state">
      <Title order={3} size="h4">
        {props.title}
      </Title>
      {props.description ? (
        <Text c="dimmed" ta="center" maw={480}>
          {props.description}
        </Text>
      ) : null}
      {props.action}
    </Stack>
  );
}
