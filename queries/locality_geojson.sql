-- locality_geojson: the locality boundaries loaded from localities.geojson, if any.
-- grain: zero or one row
-- columns: geojson (text)
-- parameters: none
select geojson
from locality_geojson
