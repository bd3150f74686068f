-- derive_lost_references: for each reference the derive scripts follow with an inner join, the
-- rows whose reference the derive did not resolve (0 when every one did). Ingest checks these
-- references only when this is not 0: the check is a join of millions of rows at national
-- scale, and the derive has done that join already.
-- episodes.request_id: request_received_date is required in requests, so it is empty in
-- episode_facts only for an episode with no request id or one that matched no request.
-- A row also goes missing when a reference further along the chain is broken (a request's
-- child's family): then both references are checked, and only the broken one is reported.
-- No parameters.
select
    'children' as table_name,
    'family_id' as column_name,
    (select count(family_id) from children) - (select count(*) from child_places) as lost
union all
select
    'requests',
    'child_id',
    (select count(child_id) from requests) - (select count(*) from request_facts)
union all
select
    'episodes',
    'child_id',
    (select count(child_id) from episodes) - (select count(*) from episode_facts)
union all
select
    'episodes',
    'request_id',
    (select count(request_id) from episodes)
    - (select count(request_received_date) from episode_facts)
union all
select
    'assessments',
    'episode_id',
    (select count(episode_id) from assessments) - (select count(*) from assessment_facts)
