import { Button } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../ui/EmptyState.tsx';

export function NotFound() {
  const { t } = useTranslation();
  return (
    <EmptyState
      title={t('common.not_found')}
      action={
        <Button component={Link} to="/">
          {t('common.home')}
        </Button>
      }
    />
  );
}
