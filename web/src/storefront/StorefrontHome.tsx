import { Button, Card, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { useSession } from '../auth/session.ts';
import { shopQuery } from './storefront.ts';

/** The shop's front page: a welcome, then (for now) the way in. The catalogue screens come next. */
export function StorefrontHome() {
  const { t } = useTranslation();
  const session = useSession();
  const shop = useQuery(shopQuery).data;
  return (
    <Stack maw={720}>
      <Title order={2}>{t('storefront.home.title', { shop: shop?.name ?? '' })}</Title>
      {session ? (
        <Card withBorder data-testid="buyer-welcome">
          <Text>{t('storefront.home.welcome', { name: session.user.display_name })}</Text>
          <Text c="dimmed" size="sm" mt="xs">
            {t('storefront.home.coming')}
          </Text>
          <Button component={Link} to="/catalog" mt="md" w="fit-content">
            {t('storefront.home.browse')}
          </Button>
        </Card>
      ) : (
        <Card withBorder>
          <Text mb="md">{t('storefront.home.signed_out')}</Text>
          <Button component={Link} to="/login">
            {t('auth.login.submit')}
          </Button>
        </Card>
      )}
    </Stack>
  );
}
