-- derive_child_places: child_places, one row per child whose family is in families, with what
-- the request and episode derives take from the child and the family: the first day of the
-- birth month, the family's locality of residence, its IMD decile (the family's own, else its
-- small area's: contract 1.1), its small area (area_code) and the hub whose catchment holds
-- that area (catchment_hub_id; null without an area or when the area has no hub), and the
-- family id and the child's sex, ethnic group (as their ENUM types) and SEND for the family
-- metrics and equality breakdowns. A temporary
-- table, built once at ingest and gone when the ingest's connection closes.
-- areas is small (tens of thousands of rows at national scale) and empty for a version 1
-- extract: the left join is a hash lookup beside the join to families. The area and its
-- catchment hub are carried as ENUM types made from areas (area_codes, catchment_hubs) and
-- cast back to text once the request and episode derives have sorted: a sort carries an ENUM
-- far more cheaply than text (bench/design-measurements.md).
-- Both derives joined children to families before (15 million families at national scale);
-- this join also stands in for checking children.family_id row by row (see
-- derive_lost_references).
-- No parameters.
create type area_codes as enum (select area_code from areas);  -- noqa: CV07
create type catchment_hubs as enum (  -- noqa: CV07
    select distinct hub_id from areas
    where hub_id is not null
);

-- place_numbers: each locality, hub and area numbered (from 1, in id order), so the facts
-- carry a number to group on (report_key) and report_label finds the id again. A catchment
-- is its hub: the catchment breakdown uses the hub numbers.
create or replace table place_numbers as
select 'locality' as dimension, row_number() over (order by locality_id)::uinteger as number,
    locality_id as code
from localities
union all
select 'hub', row_number() over (order by hub_id)::uinteger, hub_id from hubs
union all
select 'area', row_number() over (order by area_code)::uinteger, area_code from areas;

-- area_populations: each small area's children aged 0-19 at each mid-year (population_areas
-- summed over the ages), with the area's locality and catchment hub: requests_per_10k by
-- area or catchment then reads one row per area, not one per area and age (four million at
-- national scale).
create or replace table area_populations as
select
    population_areas.area_code,
    population_areas.year,
    any_value(areas.locality_id) as locality_id,
    any_value(areas.hub_id) as hub_id,
    sum(population_areas.population) as population
from population_areas
inner join areas on population_areas.area_code = areas.area_code
group by population_areas.area_code, population_areas.year;

create or replace temp table child_places as
select
    children.child_id,
    children.family_id,
    birth_start(children.birth_month) as birth_start,
    children.sex::children_sex as sex,
    children.ethnic_group::children_ethnic_group as ethnic_group,
    -- true, false or null as a boolean: report_key turns it into 1 or 0 without a text compare
    children.send = 'true' as send,
    families.locality_id,
    coalesce(families.imd_decile, areas.imd_decile) as imd_decile,
    families.area_code::area_codes as area_code,
    areas.hub_id::catchment_hubs as catchment_hub_id,
    locality_numbers.number as locality_number,
    area_numbers.number as area_number,
    catchment_numbers.number as catchment_number
from children
inner join families on children.family_id = families.family_id
left join areas on families.area_code = areas.area_code
left join place_numbers as locality_numbers
    on locality_numbers.dimension = 'locality' and families.locality_id = locality_numbers.code
left join place_numbers as area_numbers
    on area_numbers.dimension = 'area' and families.area_code = area_numbers.code
left join place_numbers as catchment_numbers
    on catchment_numbers.dimension = 'hub' and areas.hub_id = catchment_numbers.code;
