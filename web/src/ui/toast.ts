import { notifications } from '@mantine/notifications';
import { ApiError } from '../api/problem.ts';
import i18n from '../i18n/index.ts';

/** The toast's close button needs a name (axe: button-name). */
const closeButtonProps = () => ({ 'aria-label': i18n.t('common.close') });

/** Toasts: short confirmations and failures, announced to screen readers by Mantine. */
export const toast = {
  success(message: string, title?: string) {
    notifications.show({
      color: 'green',
      message,
      closeButtonProps: closeButtonProps(),
      ...(title ? { title } : {}),
    });
  },
  error(err: unknown, title?: string) {
    const message =
      err instanceof ApiError ? err.message : err instanceof Error ? err.message : String(err ?? '');
    notifications.show({
      color: 'red',
      message,
      autoClose: 8000,
      closeButtonProps: closeButtonProps(),
      ...(title ? { title } : {}),
    });
  },
};
