import { Button, type ButtonProps, Group, Modal, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toast } from './toast.ts';

/**
 * A destructive action behind a confirmation: the button opens a dialog that says what will happen;
 * only its red button acts. Failures are shown as a toast, the dialog stays open.
 */
export function ConfirmButton(
  props: {
    children: ReactNode;
    title: string;
    message: ReactNode;
    confirmLabel: string;
    onConfirm: () => Promise<unknown>;
  } & Omit<ButtonProps, 'children' | 'onClick'>,
) {
  const { children, title, message, confirmLabel, onConfirm, ...button } = props;
  const { t } = useTranslation();
  const [opened, { open, close }] = useDisclosure(false);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
      close();
    } catch (err) {
      toast.error(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button color="red" variant="light" {...button} onClick={open}>
        {children}
      </Button>
      <Modal opened={opened} onClose={close} title={title} centered>
        <Text mb="lg" component="div">
          {message}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={close} disabled={busy}>
            {t('common.cancel')}
          </Button>
          <Button color="red" onClick={confirm} loading={busy}>
            {confirmLabel}
          </Button>
        </Group>
      </Modal>
    </>
  );
}
