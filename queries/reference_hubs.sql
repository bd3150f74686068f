-- reference_hubs: every hub, satellite site and team, with its locality's name.
-- grain: one row per hub
-- columns: hub_id, hub_name, hub_type, locality_id, locality_name, latitude, longitude
-- parameters: none
select
    hubs.hub_id,
    hubs.hub_name,
    hubs.hub_type,
    hubs.locality_id,
    coalesce(localities.locality_name, 'Citywide') as locality_name,
    hubs.latitude,
    hubs.longitude
from hubs
left join localities on hubs.locality_id = localities.locality_id
order by hubs.locality_id nulls last, hubs.hub_type, hubs.hub_id
