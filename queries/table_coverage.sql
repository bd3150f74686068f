-- table_coverage: what is loaded: rows and date range of each case table.
-- grain: one row per table
-- columns: table_name, rows, first_date, last_date
-- parameters: none
select 'requests' as table_name, count(*) as rows, min(received_date) as first_date,
    max(received_date) as last_date
from requests
union all
select 'episodes', count(*), min(start_date), greatest(max(start_date), max(end_date))
from episodes
union all
select 'assessments', count(*), min(completed_date), max(completed_date) from assessments
union all
select 'survey_responses', count(*), min(response_date), max(response_date)
from survey_responses
union all
select 'children', count(*), null, null from children
union all
select 'families', count(*), null, null from families
union all
select 'hubs', count(*), null, null from hubs
union all
select 'localities', count(*), null, null from localities
union all
select 'population', count(*), make_date(min(year), 6, 30), make_date(max(year), 6, 30)
from population
union all
select 'indicators', count(*), null, null from indicators
