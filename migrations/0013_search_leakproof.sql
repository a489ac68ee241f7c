-- Catalogue search under row-level security.
--
-- PostgreSQL applies a table's RLS policy before any condition whose functions are not LEAKPROOF,
-- and therefore cannot use an index for such a condition: `search_document @@ query` (full text),
-- `upper(sku) like 'ABC%'` (reference prefix) and `search_text %> 'perseuse'` (trigram typos) all
-- became sequential scans of the tenant's whole catalogue (seconds at 100 000 products).
-- These four functions cannot reveal anything about their arguments (no error depends on the row's
-- value, no side effect), so they are declared LEAKPROOF, which lets the planner use the GIN and
-- prefix indexes while RLS still filters every row. Only a superuser may do this: where migrations
-- run as an ordinary owner (some managed databases), search stays correct but slow, and
-- docs/operations.md says how to apply it once as a superuser.
do $$
begin
  if (select rolsuper from pg_roles where rolname = current_user) then
    alter function ts_match_vq(tsvector, tsquery) leakproof;
    alter function upper(text) leakproof;
    alter function textlike(text, text) leakproof;
    alter function word_similarity_commutator_op(text, text) leakproof;
  else
    raise notice 'not a superuser: catalogue search functions left as they are (see docs/operations.md)';
  end if;
end $$;
