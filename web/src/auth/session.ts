import { type QueryClient, queryOptions, useQuery } from '@tanstack/react-query';
import { call, client, setCsrfToken } from '../api/client.ts';
import type { components } from '../api/schema';

export type User = components['schemas']['User'];
export interface CurrentSession {
  user: User;
  session: components['schemas']['Session'];
}

/**
 * The signed-in user, from GET /api/v1/auth/session (the HttpOnly cookie authenticates it): null
 * when signed out. Keeps the session's CSRF token for the writes that follow.
 */
export const sessionQuery = queryOptions({
  queryKey: ['session'],
  queryFn: async (): Promise<CurrentSession | null> => {
    const res = await client.GET('/api/v1/auth/session');
    if (res.response.status === 401) {
      setCsrfToken(null);
      return null;
    }
    const data = await call(Promise.resolve(res));
    setCsrfToken(data.csrf_token);
    return { user: data.user, session: data.session };
  },
  staleTime: 60_000,
  retry: false,
});

export function useSession() {
  return useQuery(sessionQuery).data ?? null;
}

/** After a login completes: the new session's CSRF token, then the session re-read. */
export async function signedIn(queryClient: QueryClient, csrfToken: string): Promise<CurrentSession | null> {
  setCsrfToken(csrfToken);
  await queryClient.invalidateQueries({ queryKey: ['session'] });
  return queryClient.fetchQuery(sessionQuery);
}

export async function logout(queryClient: QueryClient): Promise<void> {
  try {
    await call(client.POST('/api/v1/auth/logout'));
  } finally {
    setCsrfToken(null);
    queryClient.clear();
  }
}
