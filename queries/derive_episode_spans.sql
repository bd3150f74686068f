-- derive_episode_spans: the episode_spans table, from episode_facts (derive_episode_facts).
-- In its own file, last: sqlfluff cannot parse DuckDB's `using compression`, and reads the
-- rest of a file after a statement it cannot parse as unparsable too (hence the noqa).

-- The episodes again in end order (open ones last: end_or_open), with only what the queries
-- of episodes open in a period read (open_episodes, families_supported, children_supported):
-- episode_facts is in start-date order, where "not ended before the period" skips no block;
-- here it skips every block that ended before, which halves those queries at national scale
-- (bench/design-measurements.md).
create or replace table episode_spans ( -- noqa: PRS
    start_date date,
    end_or_open date,
    -- Uncompressed: left to DuckDB it is stored run-length encoded (most children have no
    -- earlier episode), which scans nearly 2 times slower (bench/design-measurements.md).
    child_previous_end date using compression uncompressed,
    family_previous_end date,
    child_id varchar,
    family_id varchar,
    locality_id varchar,
    hub_id varchar,
    service varchar,
    imd_decile bigint,
    sex children_sex,
    ethnic_group children_ethnic_group,
    send boolean,
    birth_start date,
    locality_number uinteger,
    hub_number uinteger,
    catchment_number uinteger,
    area_number uinteger
);
insert into episode_spans
select
    start_date,
    end_or_open,
    child_previous_end,
    family_previous_end,
    child_id,
    family_id,
    locality_id,
    hub_id,
    service,
    imd_decile,
    sex,
    ethnic_group,
    send,
    birth_start,
    locality_number,
    hub_number,
    catchment_number,
    area_number
from episode_facts
order by end_or_open;
