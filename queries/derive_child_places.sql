-- derive_child_places: child_places, one row per child whose family is in families, with what
-- the request and episode derives take from the child and the family: the first day of the
-- birth month, the family's locality of residence and IMD decile. A temporary table, built
-- once at ingest and gone when the ingest's connection closes.
-- Both derives joined children to families before (15 million families at national scale);
-- this join also stands in for checking children.family_id row by row (see
-- derive_lost_references).
-- No parameters.
create or replace temp table child_places as
select
    children.child_id,
    birth_start(children.birth_month) as birth_start,
    families.locality_id,
    families.imd_decile
from children
inner join families on children.family_id = families.family_id;
