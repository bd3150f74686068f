-- derive_assessment_facts: assessment_facts (one row per assessment) and assessment_needs
-- (one row per assessment and need listed), built once at ingest. An assessment takes its
-- episode's lead hub and the child's locality of residence, small area and catchment hub
-- (assessment_facts only: by area, need_bits answers need questions without the need rows).
-- need_bits holds the listed needs
-- as one integer (need_bit of each need; 0 for none) for the group and co-occurrence
-- queries. No parameters.

-- Every assessment with its episode's places, in date order, held once in a temporary table:
-- both tables below are cut from it without a second join or sort. need_orders is each
-- listed need's sort_order; the need codes themselves are not carried (queries group on the
-- number; carrying and writing the codes is costly). Service and THRIVE
-- group are carried as their ENUM types and cast back to text below (see derive_request_facts).
create or replace temp table assessment_rows as
with

-- Every need in sort order, and the bit of its headline group (bit n-1 for the n-th group in
-- name order; 0 for a need without a group).
codes as (
    select
        list(need order by sort_order) as in_order,
        list(group_bit order by sort_order) as group_bits
    from (
        select
            need,
            sort_order,
            if(
                need_group is null, 0, 1 << (dense_rank() over (order by need_group) - 1)
            )::uinteger as group_bit
        from need_codes
    ) as need_group_bits
)

select
    assessments.assessment_id,
    episode_facts.locality_id,
    episode_facts.hub_id,
    episode_facts.service::episodes_service as service,
    assessments.completed_date,
    assessments.thrive_group::assessments_thrive_group as thrive_group,
    list_transform(
        assessments.needs, lambda need: list_position(codes.in_order, need)  -- noqa: RF02
    ) as need_orders,
    episode_facts.imd_decile,
    age_band(episode_facts.birth_start, assessments.completed_date) as age_band,
    episode_facts.area_code,
    episode_facts.catchment_hub_id,
    episode_facts.family_id,
    episode_facts.sex,
    episode_facts.ethnic_group,
    episode_facts.send,
    episode_facts.locality_number,
    episode_facts.hub_number,
    episode_facts.catchment_number,
    episode_facts.area_number,
    -- the headline groups of the listed needs as one integer (families_multiple_needs_rate
    -- counts the bits of a family's assessments)
    coalesce(list_sum(list_distinct(list_transform(
        assessments.needs,
        lambda need: codes.group_bits[list_position(codes.in_order, need)]  -- noqa: RF02
    ))), 0)::uinteger as need_group_bits
from assessments
cross join codes
inner join episode_facts on assessments.episode_id = episode_facts.episode_id
-- Date order lets queries skip blocks outside a period (see derive_request_facts).
order by assessments.completed_date;

-- Only what queries read is kept, with the assessment id as key: the need list is in
-- assessments and in assessment_needs (writing it again here would cost ingest time).
create or replace table assessment_facts as
select
    assessment_id,
    locality_id,
    hub_id,
    service::varchar as service,
    completed_date,
    thrive_group::varchar as thrive_group,
    coalesce(list_sum(list_transform(need_orders, lambda sort_order: need_bit(sort_order))), 0)
        ::uinteger as need_bits,
    imd_decile,
    age_band,
    area_code,
    catchment_hub_id,
    family_id,
    sex,
    ethnic_group,
    send,
    locality_number,
    hub_number,
    catchment_number,
    area_number,
    need_group_bits
from assessment_rows;

-- One row per need listed, with the assessment's date and reporting dimensions repeated, so
-- needs analysis counts need rows in a period without joining back (a join per query is
-- slow at national scale). The date order is kept: no second sort.
-- need_order is the need's sort_order (need_codes names it): need_prevalence groups on it,
-- faster than on the code. No assessment id: no query reads it.
create or replace table assessment_needs as
select
    unnest(need_orders)::utinyint as need_order,
    completed_date,
    locality_id,
    hub_id,
    service::varchar as service,
    thrive_group::varchar as thrive_group,
    imd_decile,
    age_band,
    locality_number,
    hub_number
from assessment_rows;

-- need_months: assessment_needs counted by month of completion, place, service and need, so
-- need_prevalence reads whole months from about a tenth of the rows. Days of a part month come from
-- assessment_needs. Counted from assessment_rows, grouping on service as its ENUM type: not
-- from the 64 million written rows of assessment_needs with service as text.
create or replace table need_months as
select
    month,
    locality_id,
    hub_id,
    service::varchar as service,
    need_order,
    assessments,
    locality_number,
    hub_number
from (
    select
        month,
        locality_id,
        hub_id,
        service,
        need_order,
        locality_number,
        hub_number,
        count(*) as assessments
    from (
        select
            date_trunc('month', completed_date)::date as month,
            locality_id,
            hub_id,
            service,
            locality_number,
            hub_number,
            unnest(need_orders)::utinyint as need_order
        from assessment_rows
    ) as need_rows
    group by all
) as need_counts
order by month;

drop table assessment_rows;
