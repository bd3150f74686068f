-- monthly_volumes: rows per calendar month in each dated file, by a second dimension, so a
-- missing or thin month stands out on the Data quality page.
-- grain: one row per file, month and group (requests: by source and by receiving hub;
--        episodes: starts by lead hub; assessments and survey responses: all)
-- columns: file, dimension ('source' | 'hub' | 'all'), month (first day), group, rows
-- parameters: none
select 'requests.csv' as file, 'source' as dimension,
    date_trunc('month', received_date)::date as month, source as "group", count(*) as rows
from requests
group by all
union all
select 'requests.csv', 'hub', date_trunc('month', received_date)::date,
    coalesce(hub_id, 'unknown'), count(*)
from requests
group by all
union all
select 'episodes.csv', 'hub', date_trunc('month', start_date)::date, hub_id, count(*)
from episodes
group by all
union all
select 'assessments.csv', 'all', date_trunc('month', completed_date)::date, 'all', count(*)
from assessments
group by all
union all
select 'survey_responses.csv', 'all', date_trunc('month', response_date)::date, 'all', count(*)
from survey_responses
group by all
order by file, dimension, month, "group"
