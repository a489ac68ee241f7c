import { queryOptions, useQuery } from '@tanstack/react-query';
import { call, client } from '../api/client.ts';
import { useSession } from './session.ts';

/** The signed-in user's effective permissions, from GET /api/v1/me (re-read with the session). */
export const meQuery = (userId: string | null) =>
  queryOptions({
    queryKey: ['me', userId],
    queryFn: () => call(client.GET('/api/v1/me')),
    enabled: userId !== null,
    staleTime: 60_000,
    retry: false,
  });

/** The caller's permissions; null while unknown (signed out, loading, or the request failed). */
export function usePermissions(): ReadonlySet<string> | null {
  const session = useSession();
  const me = useQuery(meQuery(session?.user.id ?? null));
  return me.data ? new Set(me.data.permissions) : null;
}

/**
 * Whether the signed-in user holds `permission` (false while unknown). The screen hides or disables
 * what the user cannot do; the API still decides every request.
 */
export function useCan(permission: string): boolean {
  return usePermissions()?.has(permission) ?? false;
}
