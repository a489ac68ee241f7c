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

/**
 * A table row's "Edit" and "Delete" (behind a confirmation, ConfirmButton), as every console list
 * shows them; the labels name the row for screen readers.
 */
export function EditDeleteActions(props: {
  onEdit: () => void;
  editLabel?: string;
  deleteTitle: string;
  deleteMessage: ReactNode;
  deleteLabel?: string;
  onDelete: () => Promise<unknown>;
}) {
  const { t } = useTranslation();
  return (
    <Group gap="xs" wrap="nowrap">
      <Button
        size="xs"
        variant="default"
        onClick={props.onEdit}
        {...(props.editLabel ? { 'aria-label': props.editLabel } : {})}
      >
        {t('common.edit')}
      </Button>
      <ConfirmButton
        size="xs"
        title={props.deleteTitle}
        message={props.deleteMessage}
        confirmLabel={t('common.delete')}
        onConfirm={props.onDelete}
        {...(props.deleteLabel ? { 'aria-label': props.deleteLabel } : {})}
      >
        {t('common.delete')}
      </ConfirmButton>
    </Group>
  );
}
