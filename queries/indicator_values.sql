-- indicator_values: the board's bell-weather indicator values for one area, from indicators.csv.
-- grain: one row per period of one indicator in one area (the board's bell-weather measures
--   from indicators.csv), oldest period first.
-- columns: period, value, unit, source
-- parameters: $indicator (indicator_id), $area ('all' or a locality_id)
select
    period,
    value,
    unit,
    source
from indicators
where indicator_id = $indicator
    and area = $area
order by period
