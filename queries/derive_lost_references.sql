-- derive_lost_references: for each reference the derive scripts follow with an inner join, the
-- rows whose reference the derive did not resolve (0 when every one did). Ingest checks these
-- references only when this is not 0: the check is a join of millions of rows at national
-- scale, and the derive has done that join already.
-- episodes.request_id: request_received_date is required in requests, so it is empty in
-- episode_facts only for an episode with no request id or one that matched no request.
-- A row also goes missing when a reference further along the chain is broken (a request's
-- child's family); those are reported by their own checks, which always run.
-- No parameters.
select
    'requests' as table_name,
    'child_id' as column_name,
    (select count(child_id) from requests) - (select count(*) from request_facts) as lost
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
