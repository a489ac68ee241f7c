import { queryOptions } from '@tanstack/react-query';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';

export type Role = components['schemas']['Role'];
export type RoleAssignment = components['schemas']['RoleAssignment'];
export type AppUser = components['schemas']['User'];

/** The permission catalogue (GET /api/v1/permissions). */
export const permissionsQuery = queryOptions({
  queryKey: ['permissions'],
  queryFn: () => call(client.GET('/api/v1/permissions')),
  staleTime: 5 * 60_000,
});

/** Predefined and custom roles (GET /api/v1/roles). */
export const rolesQuery = queryOptions({
  queryKey: ['roles'],
  queryFn: () => call(client.GET('/api/v1/roles')),
});

/** Up to 200 users, for pickers (GET /api/v1/users). */
export const userPickerQuery = queryOptions({
  queryKey: ['users', 'picker'],
  queryFn: () => call(client.GET('/api/v1/users', { params: { query: { limit: 200 } } })),
});

/** `catalog.product.write` → module `catalog`. */
export function moduleOf(permission: string): string {
  return permission.split('.')[0] ?? permission;
}

/** Permissions grouped by module, modules and permissions sorted. */
export function groupByModule<P extends { name: string }>(permissions: P[]): [string, P[]][] {
  const groups = new Map<string, P[]>();
  for (const p of [...permissions].sort((a, b) => a.name.localeCompare(b.name))) {
    const m = moduleOf(p.name);
    groups.set(m, [...(groups.get(m) ?? []), p]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** Saves a downloaded body under a file name (an object URL clicked as a link). */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A `datetime-local` input's value → ISO 8601, or undefined when empty. */
export function localToIso(value: string): string | undefined {
  return value ? new Date(value).toISOString() : undefined;
}

/** A role's name from its key (the key itself when unknown). */
export function roleLabel(key: string, roles: Role[] | undefined): string {
  return roles?.find((r) => r.key === key)?.name ?? key;
}
