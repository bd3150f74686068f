-- family_re_entry_12m_rate: of families with at least one episode started in the period
-- (transfer starts excluded; within the filters), the share re-entering. S is the family's
-- first such start date. The family re-enters when an episode of any of its children that
-- started before S closed on or before S and on or after S minus 12 calendar months, and no
-- episode of the family that started before S was still open on S (no end, or an end after
-- S). The earlier episodes are all the family's, whatever the filters (as for re-entry of a
-- child), and any closure reason counts.
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown'
--        when present)
-- columns: metric, group, numerator (families re-entering), denominator (families starting),
--          value (share from 0 to 1; null when no family started)
-- parameters: $start, $end (dates, both inclusive), $by ('none' | 'locality' | 'catchment' |
--             'area' | 'imd_decile'); filters
--             $locality, $area_number, $catchment_number, $hub (lead hub), $service (null = all)
with

-- Whether a family re-enters on a start date is is_family_re_entry_12m of any of its episodes
-- starting that day (derive_episode_facts: the latest end of the episodes it started on an
-- earlier day is on or before that day and within 12 calendar months before it).
-- Without a hub or service filter, a family's first non-transfer start in the period is the
-- episode whose family_previous_start (the family's previous non-transfer start, same-day
-- ties by episode id) is before the period: one row per family, no grouping.
-- The locality, small-area and catchment filters keep or drop a family whole (they are the
-- family's own, families.csv), so the rule holds within them; a hub or service filter does not.
first_starts as (
    select
        report_key(
            $by, locality_number, null, catchment_number, area_number,
            null, null, null, null, imd_decile
        ) as report_key,
        is_family_re_entry_12m as re_enters
    from episode_facts
    where start_date between $start and $end
        and start_reason <> 'transfer'
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and $hub is null and $service is null
        and family_previous_start < $start
),

-- With a hub or service filter: each family's first such start within the filters.
filtered_starts as (
    select
        -- a family's place is the same on all its rows (families.csv)
        any_value(report_key(
            $by, locality_number, null, catchment_number, area_number,
            null, null, null, null, imd_decile
        )) as report_key,
        arg_min(is_family_re_entry_12m, start_date) as re_enters
    from episode_facts
    where start_date between $start and $end
        and start_reason <> 'transfer'
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
        and ($hub is not null or $service is not null)
    group by family_id
),

-- Counted in each branch before the union: a union hides the keys' range from the
-- planner, which then cannot group thousands of areas in a perfect hash table.
starting as (
    select
        report_key,
        count_if(re_enters) as numerator,
        count(*) as denominator
    from first_starts
    group by report_key
    union all
    select
        report_key,
        count_if(re_enters) as numerator,
        count(*) as denominator
    from filtered_starts
    group by report_key
),

counts as (
    select
        report_label($by, report_key) as report_group,
        sum(numerator)::bigint as numerator,
        sum(denominator)::bigint as denominator
    from starting
    group by report_key
),

final as (
    select
        'family_re_entry_12m_rate' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.numerator, 0) as numerator,
        coalesce(counts.denominator, 0) as denominator,
        counts.numerator / nullif(counts.denominator, 0) as value
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
