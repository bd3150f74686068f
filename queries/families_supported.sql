-- families_supported: distinct families with at least one episode open at some time in the
-- period: started on or before its last day, and not ended or ended on or after its first day
-- (transfers included: a transferred family is still supported).
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown'
--        when present)
-- columns: metric, group, numerator (families), denominator (null), value (families)
-- parameters: $start, $end (dates, both inclusive), $by ('none' | 'locality' | 'catchment' |
--             'area' | 'imd_decile'); filters
--             $locality, $area_number, $catchment_number, $hub (lead hub), $service (null = all)
with

-- Without a hub or service filter, a family's first episode open in the period is the one
-- whose earlier episodes (by start) all ended before the period (family_previous_end,
-- derive_episode_facts; none earlier reads as long ago): one row per family, no distinct.
-- The locality, small-area and catchment filters keep or drop a family whole (they are the
-- family's own, families.csv), so the rule holds within them; a hub or service filter does not.
first_open as (
    select
        report_key(
            $by, locality_number, null, catchment_number, area_number,
            null, null, null, null, imd_decile
        ) as report_key
    from episode_spans
    where start_date <= $end and end_or_open >= $start
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and $hub is null and $service is null
        and family_previous_end < $start
),

-- With a hub or service filter: the distinct families with such an episode.
filtered as (
    select distinct
        family_id,
        report_key(
            $by, locality_number, null, catchment_number, area_number,
            null, null, null, null, imd_decile
        ) as report_key
    from episode_spans
    where start_date <= $end and end_or_open >= $start
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
        and ($hub is not null or $service is not null)
),

-- Counted in each branch before the union: a union hides the keys' range from the
-- planner, which then cannot group thousands of areas in a perfect hash table.
in_period as (
    select
        report_key,
        count(*) as n
    from first_open
    group by report_key
    union all
    select
        report_key,
        count(*) as n
    from filtered
    group by report_key
),

counts as (
    select
        report_label($by, report_key) as report_group,
        sum(n)::bigint as n
    from in_period
    group by report_key
),

final as (
    select
        'families_supported' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.n, 0) as numerator,
        null::bigint as denominator,
        coalesce(counts.n, 0)::double as value
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
