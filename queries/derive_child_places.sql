-- derive_child_places: child_places, one row per child whose family is in families, with what
-- the request and episode derives take from the child and the family: the first day of the
-- birth month, the family's locality of residence, its IMD decile (the family's own, else its
-- small area's: contract 1.1), its small area (area_code) and the hub whose catchment holds
-- that area (catchment_hub_id; null without an area or when the area has no hub), and the
-- family id and the child's sex, ethnic group (as their ENUM types) and SEND for the family
-- metrics and equality breakdowns. A temporary
-- table, built once at ingest and gone when the ingest's connection closes.
-- areas is small (tens of thousands of rows at national scale) and empty for a version 1
-- extract: the left join is a hash lookup beside the join to families.
-- Both derives joined children to families before (15 million families at national scale);
-- this join also stands in for checking children.family_id row by row (see
-- derive_lost_references).
-- No parameters.
create or replace temp table child_places as
select
    children.child_id,
    children.family_id,
    birth_start(children.birth_month) as birth_start,
    children.sex::children_sex as sex,
    children.ethnic_group::children_ethnic_group as ethnic_group,
    children.send,
    families.locality_id,
    coalesce(families.imd_decile, areas.imd_decile) as imd_decile,
    families.area_code,
    areas.hub_id as catchment_hub_id
from children
inner join families on children.family_id = families.family_id
left join areas on families.area_code = areas.area_code;
