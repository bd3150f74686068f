-- indicator_areas: one indicator's values by locality for one period.
-- grain: one row per locality with a value of one indicator for one period.
-- columns: area (a locality_id), value
-- parameters: $indicator (indicator_id), $period (a period code such as 2024-25)
select
    area,
    value
from indicators
where indicator_id = $indicator
    and period = $period
    and area <> 'all'
order by area
