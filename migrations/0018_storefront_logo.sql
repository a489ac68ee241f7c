-- A storefront's logo, uploaded through PUT /api/v1/storefronts/{id}/logo (docs/storefronts.md).
--
-- The bytes are in the media object store under tenants/<tenant>/storefronts/<storefront>/logo; the
-- theme's logo_object_key names that key. These columns describe what was received, so the public
-- GET /api/v1/public/storefront/logo can answer with its type and a validator (ETag) without reading
-- the object first. All null: no logo.
-- Expand-only: nullable columns (docs/architecture.md).

alter table storefronts
  add column logo_content_type text
    check (logo_content_type in ('image/png', 'image/jpeg', 'image/webp', 'image/svg+xml')),
  add column logo_sha256 text check (logo_sha256 ~ '^[0-9a-f]{64}$'),
  add column logo_size_bytes integer check (logo_size_bytes > 0),
  add column logo_uploaded_at timestamptz,
  add constraint storefronts_logo_all_or_none check (
    (logo_content_type is null) = (logo_sha256 is null)
    and (logo_sha256 is null) = (logo_size_bytes is null)
    and (logo_size_bytes is null) = (logo_uploaded_at is null)
  );
