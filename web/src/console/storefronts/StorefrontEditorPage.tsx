import {
  Alert,
  Badge,
  Box,
  Button,
  Card,
  ColorInput,
  Fieldset,
  FileInput,
  Group,
  Image,
  Loader,
  Select,
  SimpleGrid,
  Stack,
  TagsInput,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import { useCan } from '../../auth/permissions.ts';
import { useFormat } from '../../i18n/format.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { ConfirmButton } from '../../ui/ConfirmButton.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import { defaultFirst, indexedErrors } from './StorefrontFields.tsx';
import { STOREFRONTS_KEY, type Storefront } from './StorefrontsPage.tsx';

/** The colours the storefront theme uses (app/theme.ts: `primary`, `text`, `background`). */
const THEME_COLOURS = ['primary', 'text', 'background'] as const;
/** What a logo may be (PUT /api/v1/storefronts/{id}/logo). */
const LOGO_TYPES = 'image/png,image/jpeg,image/webp,image/svg+xml';
const LANGUAGES = ['fr', 'en', 'de', 'es', 'it', 'nl'];
const CURRENCIES = ['EUR', 'CHF', 'GBP', 'USD'];

/**
 * One storefront: name, code, domains, languages and currencies with their defaults, colours and
 * status (PATCH /api/v1/storefronts/{id}); its logo (uploaded, previewed, removed); its deletion.
 */
export function StorefrontEditorPage(props: { storefrontId: string }) {
  const { t } = useTranslation();
  const canWrite = useCan('storefronts.storefront.write');
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const storefront = useQuery({
    queryKey: [...STOREFRONTS_KEY, 'one', props.storefrontId],
    queryFn: () =>
      call(
        client.GET('/api/v1/storefronts/{storefront_id}', {
          params: { path: { storefront_id: props.storefrontId } },
        }),
      ),
  });
  if (storefront.error)
    return (
      <Alert color="red" role="alert">
        {storefront.error instanceof ApiError && storefront.error.status === 404
          ? t('storefronts.not_found')
          : t('common.unexpected_error')}
      </Alert>
    );
  if (!storefront.data) return <Loader aria-label={t('common.loading')} />;
  const s = storefront.data;
  const refresh = () => queryClient.invalidateQueries({ queryKey: STOREFRONTS_KEY });
  return (
    <Stack>
      <AnchorLink to="/console/storefronts" size="sm">
        {t('storefronts.back')}
      </AnchorLink>
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={2}>{s.name}</Title>
          <Badge color={s.status === 'active' ? 'green' : 'gray'} variant="dot" miw="max-content">
            {t(`storefronts.status.${s.status}`)}
          </Badge>
        </Group>
        {canWrite ? (
          <ConfirmButton
            title={t('storefronts.delete_title', { name: s.name })}
            message={t('storefronts.delete_message', { domains: s.domains.join(', ') || '—' })}
            confirmLabel={t('common.delete')}
            onConfirm={async () => {
              await call(
                client.DELETE('/api/v1/storefronts/{storefront_id}', {
                  params: { path: { storefront_id: s.id } },
                }),
              );
              await refresh();
              toast.success(t('storefronts.deleted', { name: s.name }));
              await navigate({ to: '/console/storefronts' });
            }}
          >
            {t('storefronts.delete')}
          </ConfirmButton>
        ) : null}
      </Group>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          {t('storefronts.details')}
        </Title>
        <StorefrontForm key={s.updated_at} storefront={s} canWrite={canWrite} onSaved={refresh} />
      </Card>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          {t('storefronts.logo.title')}
        </Title>
        <StorefrontLogo storefront={s} canWrite={canWrite} onChanged={refresh} />
      </Card>
    </Stack>
  );
}

function StorefrontForm(props: {
  storefront: Storefront;
  canWrite: boolean;
  onSaved: () => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const s = props.storefront;
  const colours = s.theme.colors as Record<string, string>;
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      name: s.name,
      code: s.code,
      domains: s.domains,
      languages: s.languages,
      default_language: s.languages[0] ?? null,
      currencies: s.currencies,
      default_currency: s.currencies[0] ?? null,
      status: s.status,
      theme: {
        colors: Object.fromEntries(THEME_COLOURS.map((c) => [c, colours[c] ?? ''])) as Record<
          (typeof THEME_COLOURS)[number],
          string
        >,
      },
    },
  });
  // The lists as last sent: an error on `/languages/2` names the value at that position.
  const sent = useRef({ languages: s.languages, currencies: s.currencies });
  const save = async (v: typeof form.values) => {
    const languages = defaultFirst(v.languages, v.default_language);
    const currencies = defaultFirst(v.currencies, v.default_currency);
    sent.current = { languages, currencies };
    // Colours this screen does not edit (an `accent`…) are kept; an emptied one is removed.
    const colors: Record<string, string> = { ...colours };
    for (const c of THEME_COLOURS) {
      const value = v.theme.colors[c].trim();
      if (value) colors[c] = value;
      else delete colors[c];
    }
    const saved = await call(
      client.PATCH('/api/v1/storefronts/{storefront_id}', {
        params: { path: { storefront_id: s.id } },
        body: {
          name: v.name,
          code: v.code.trim(),
          domains: v.domains,
          languages,
          currencies,
          status: v.status,
          theme: { colors },
        },
      }),
    );
    toast.success(t('storefronts.saved', { name: saved.name }));
    await props.onSaved();
  };
  // A default must be one of the list: when it leaves the list, the first one takes its place.
  const listChanged =
    (field: 'languages' | 'currencies', def: 'default_language' | 'default_currency') =>
    (items: string[]) => {
      const list =
        field === 'currencies'
          ? items.map((i) => i.trim().toUpperCase())
          : items.map((i) => i.trim().toLowerCase());
      form.setFieldValue(field, list);
      const current = form.getValues()[def];
      if (!current || !list.includes(current)) form.setFieldValue(def, list[0] ?? null);
    };
  return (
    <Fieldset variant="unstyled" disabled={!props.canWrite}>
      <ApiForm
        form={form}
        onSubmit={save}
        submitLabel={t('common.save')}
        aria-label={t('storefronts.details')}
      >
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t('storefronts.field.name')} required {...form.getInputProps('name')} />
          <TextInput
            label={t('storefronts.field.code')}
            description={t('storefronts.field.code_help')}
            required
            {...form.getInputProps('code')}
          />
        </SimpleGrid>
        <TagsInput
          label={t('storefronts.field.domains')}
          description={t('storefronts.field.domains_help')}
          {...form.getInputProps('domains')}
          error={indexedErrors(form.errors, 'domains', form.values.domains)}
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TagsInput
            label={t('storefronts.field.languages')}
            data={LANGUAGES}
            value={form.values.languages}
            onChange={listChanged('languages', 'default_language')}
            error={indexedErrors(form.errors, 'languages', sent.current.languages)}
          />
          <Select
            label={t('storefronts.field.default_language')}
            data={form.values.languages}
            allowDeselect={false}
            {...form.getInputProps('default_language')}
          />
          <TagsInput
            label={t('storefronts.field.currencies')}
            data={CURRENCIES}
            value={form.values.currencies}
            onChange={listChanged('currencies', 'default_currency')}
            error={indexedErrors(form.errors, 'currencies', sent.current.currencies)}
          />
          <Select
            label={t('storefronts.field.default_currency')}
            data={form.values.currencies}
            allowDeselect={false}
            {...form.getInputProps('default_currency')}
          />
        </SimpleGrid>
        <Fieldset legend={t('storefronts.field.colours')}>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            {THEME_COLOURS.map((c) => (
              <ColorInput
                key={c}
                label={t(`storefronts.colour.${c}`)}
                description={t(`storefronts.colour.${c}_help`)}
                format="hex"
                withEyeDropper={false}
                placeholder="#1f4e79"
                {...form.getInputProps(`theme.colors.${c}`)}
              />
            ))}
          </SimpleGrid>
        </Fieldset>
        <Select
          label={t('storefronts.field.status')}
          description={t('storefronts.field.status_help')}
          data={[
            { value: 'active', label: t('storefronts.status.active') },
            { value: 'inactive', label: t('storefronts.status.inactive') },
          ]}
          allowDeselect={false}
          {...form.getInputProps('status')}
        />
      </ApiForm>
    </Fieldset>
  );
}

/** The logo: a preview of what the shop shows, a file to upload in its place, and its removal. */
function StorefrontLogo(props: {
  storefront: Storefront;
  canWrite: boolean;
  onChanged: () => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const s = props.storefront;
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const upload = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      await call(
        client.PUT('/api/v1/storefronts/{storefront_id}/logo', {
          params: { path: { storefront_id: s.id } },
          body: file as never,
          bodySerializer: (b: unknown) => b as BodyInit,
          headers: { 'content-type': file.type || 'application/octet-stream' },
        }),
      );
      setFile(null);
      toast.success(t('storefronts.logo.uploaded'));
      await props.onChanged();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('common.unexpected_error'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Stack>
      {s.logo ? (
        <Group align="center">
          <Box p="xs" bd="1px solid var(--mantine-color-gray-3)" style={{ borderRadius: 4 }}>
            <Image
              src={`/api/v1/storefronts/${s.id}/logo?v=${s.logo.checksum_sha256.slice(0, 16)}`}
              alt={t('storefronts.logo.preview_alt', { name: s.name })}
              h={48}
              w="auto"
              fit="contain"
              data-testid="storefront-logo-preview"
            />
          </Box>
          <Text size="sm" c="dimmed">
            {t('storefronts.logo.info', {
              type: s.logo.content_type,
              size: f.number(Math.ceil(s.logo.size_bytes / 1024)),
              date: f.dateTime(s.logo.uploaded_at),
            })}
          </Text>
        </Group>
      ) : (
        <Text size="sm" c="dimmed">
          {t('storefronts.logo.none')}
        </Text>
      )}
      {props.canWrite ? (
        <Group align="flex-end">
          <FileInput
            label={t('storefronts.logo.file')}
            description={t('storefronts.logo.file_help')}
            accept={LOGO_TYPES}
            value={file}
            onChange={(x) => {
              setFile(x);
              setError(null);
            }}
            error={error}
            clearable
            w={360}
          />
          <Button onClick={upload} disabled={!file} loading={busy}>
            {s.logo ? t('storefronts.logo.replace') : t('storefronts.logo.upload')}
          </Button>
          {s.logo ? (
            <ConfirmButton
              title={t('storefronts.logo.remove_title', { name: s.name })}
              message={t('storefronts.logo.remove_message')}
              confirmLabel={t('storefronts.logo.remove')}
              onConfirm={async () => {
                await call(
                  client.DELETE('/api/v1/storefronts/{storefront_id}/logo', {
                    params: { path: { storefront_id: s.id } },
                  }),
                );
                toast.success(t('storefronts.logo.removed'));
                await props.onChanged();
              }}
            >
              {t('storefronts.logo.remove')}
            </ConfirmButton>
          ) : null}
        </Group>
      ) : null}
    </Stack>
  );
}
