-- field_completeness: how often each optional or may-be-empty field is filled in.
-- grain: one row per field
-- columns: table_name, field, filled, rows, share (0 to 1; null for an empty table)
-- parameters: none
with

counts as (
    select 'requests' as table_name, 'hub_id' as field, count(hub_id) as filled,
        count(*) as rows
    from requests
    union all
    select 'requests', 'decision', count(decision), count(*) from requests
    union all
    select 'episodes', 'request_id', count(request_id), count(*) from episodes
    union all
    select 'episodes', 'end_date', count(end_date), count(*) from episodes
    union all
    select 'families', 'imd_decile', count(imd_decile), count(*) from families
    union all
    select 'children', 'send', count(send), count(*) from children
    union all
    select 'hubs', 'latitude and longitude', count(latitude + longitude), count(*) from hubs
    union all
    select 'assessments', 'needs (at least one)', count_if(len(needs) > 0), count(*)
    from assessments
)

select
    *,
    filled / nullif(rows, 0) as share
from counts
