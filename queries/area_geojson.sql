-- area_geojson: the small areas' boundaries (contract 1.1 areas.geojson): only each shape and
-- its area code were kept at ingest.
-- grain: one row per area with a shape
-- columns: area_code, geometry (GeoJSON geometry as text)
-- parameters: none
select
    area_code,
    geometry
from area_geojson
order by area_code
