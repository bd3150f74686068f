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
    sex,
    ethnic_group,
    send,
    locality_number,
    hub_number
from assessment_rows;

-- family_need_periods: each family's assessments in each financial year and each quarter
-- (periods.py's periods: years from 1 April, quarters of three calendar months), grouped
-- once here: families_multiple_needs_rate reads a year or quarter from one row per family
-- instead of grouping a year's assessments by family (half a second at national scale).
-- group_count: how many headline groups the needs of the family's assessments in the period
-- span, all its children together. The family's places and decile are its own (families.csv),
-- the same on every row of the family.
create or replace table family_need_periods as
with

periods_of as (
    select
        family_id,
        need_group_bits,
        locality_id,
        locality_number,
        catchment_number,
        area_number,
        imd_decile,
        unnest(year_and_quarter_of(completed_date), recursive := true)
    from assessment_rows
)

select
    period_start,
    period_end,
    bit_count(bit_or(need_group_bits))::utinyint as group_count,
    any_value(locality_id) as locality_id,
    any_value(locality_number) as locality_number,
    any_value(catchment_number) as catchment_number,
    any_value(area_number) as area_number,
    any_value(imd_decile) as imd_decile
from periods_of
group by family_id, period_start, period_end
order by period_start, period_end;

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

-- need_months_by_child: the same need rows counted by month, need and the child's sex, ethnic
-- group, SEND, age band and decile (no place or service: a few thousand rows a month), so
-- need_prevalence by a child attribute without a filter reads a year from a million rows
-- instead of grouping fifteen million.
create or replace table need_months_by_child as
select
    month,
    need_order,
    sex,
    ethnic_group,
    send,
    age_band,
    imd_decile,
    count(*) as assessments
from (
    select
        date_trunc('month', completed_date)::date as month,
        sex,
        ethnic_group,
        send,
        age_band,
        imd_decile,
        unnest(need_orders)::utinyint as need_order
    from assessment_rows
) as need_rows
group by all
order by month;

-- area_need_totals: running totals, month by month, of the assessments completed and of those
-- listing each need, per small area (per locality for families without an area), with a row
-- for every area and every month from the first to the last month with an assessment. By
-- area or catchment, a period of whole months is the totals at its last month less those at
-- the month before its first: two rows an area instead of a year's assessments tested need
-- by need (need_prevalence by area at national scale: bench/design-measurements.md).
-- need_<n> counts the need whose sort_order is n: one column per need code of the data
-- contract, 25 (tests/test_breakdowns.py checks them against the contract), so that a
-- period's counts are differences column by column.
create or replace table area_need_totals as
with

monthly as (
    select
        date_trunc('month', completed_date)::date as month,
        locality_id,
        locality_number,
        catchment_number,
        area_number,
        count(*)::integer as assessments,
        count(*) filter (where need_bits & need_bit(1) <> 0)::integer as need_1,
        count(*) filter (where need_bits & need_bit(2) <> 0)::integer as need_2,
        count(*) filter (where need_bits & need_bit(3) <> 0)::integer as need_3,
        count(*) filter (where need_bits & need_bit(4) <> 0)::integer as need_4,
        count(*) filter (where need_bits & need_bit(5) <> 0)::integer as need_5,
        count(*) filter (where need_bits & need_bit(6) <> 0)::integer as need_6,
        count(*) filter (where need_bits & need_bit(7) <> 0)::integer as need_7,
        count(*) filter (where need_bits & need_bit(8) <> 0)::integer as need_8,
        count(*) filter (where need_bits & need_bit(9) <> 0)::integer as need_9,
        count(*) filter (where need_bits & need_bit(10) <> 0)::integer as need_10,
        count(*) filter (where need_bits & need_bit(11) <> 0)::integer as need_11,
        count(*) filter (where need_bits & need_bit(12) <> 0)::integer as need_12,
        count(*) filter (where need_bits & need_bit(13) <> 0)::integer as need_13,
        count(*) filter (where need_bits & need_bit(14) <> 0)::integer as need_14,
        count(*) filter (where need_bits & need_bit(15) <> 0)::integer as need_15,
        count(*) filter (where need_bits & need_bit(16) <> 0)::integer as need_16,
        count(*) filter (where need_bits & need_bit(17) <> 0)::integer as need_17,
        count(*) filter (where need_bits & need_bit(18) <> 0)::integer as need_18,
        count(*) filter (where need_bits & need_bit(19) <> 0)::integer as need_19,
        count(*) filter (where need_bits & need_bit(20) <> 0)::integer as need_20,
        count(*) filter (where need_bits & need_bit(21) <> 0)::integer as need_21,
        count(*) filter (where need_bits & need_bit(22) <> 0)::integer as need_22,
        count(*) filter (where need_bits & need_bit(23) <> 0)::integer as need_23,
        count(*) filter (where need_bits & need_bit(24) <> 0)::integer as need_24,
        count(*) filter (where need_bits & need_bit(25) <> 0)::integer as need_25
    from assessment_facts
    group by all
),

places as (
    select distinct
        locality_id,
        locality_number,
        catchment_number,
        area_number
    from monthly
),

months as (
    select unnest(generate_series(min(month), max(month), interval 1 month))::date as month
    from monthly
),

every_month as (
    select
        months.month,
        places.locality_id,
        places.locality_number,
        places.catchment_number,
        places.area_number,
        -- the counts (sqlfluff reads the excluded names as references)
        monthly.* exclude (month, locality_id, locality_number, catchment_number, area_number)  -- noqa: RF02, LT05
    from months
    cross join places
    left join monthly
        on
            months.month = monthly.month
            and places.locality_number is not distinct from monthly.locality_number
            and places.area_number is not distinct from monthly.area_number
)

select
    month,
    locality_id,
    locality_number,
    catchment_number,
    area_number,
    sum(coalesce(columns('^(assessments|need_\d+)$'), 0)) over (
        partition by locality_number, area_number order by month
    )::bigint
from every_month
-- Month order lets a query read its two months' blocks only.
order by month;

drop table assessment_rows;
