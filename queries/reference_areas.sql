-- reference_areas: every small area (contract 1.1) with its locality, catchment hub and
-- deprivation decile; none for a version 1 extract.
-- grain: one row per area
-- columns: area_code, area_name, locality_id, hub_id, imd_decile
-- parameters: none
select
    area_code,
    area_name,
    locality_id,
    hub_id,
    imd_decile
from areas
order by locality_id, area_code
