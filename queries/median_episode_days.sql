-- median_episode_days: median of end_date - start_date in days over the episodes closed in the
-- period (transfer closures excluded). With an even count it is the mean of the middle two.
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown'
--        when present)
-- columns: metric, group, numerator (null), denominator (episodes the median is taken over),
--          value (median days; null when no episode closed)
-- parameters: $start, $end (dates, both inclusive), $by (a breakdown: docs/metrics.md);
--             filters $locality, $area_number, $catchment_number, $hub, $service (null = all)
with

closed_in_period as (
    select
        report_key(
        $by, locality_number, hub_number, catchment_number, area_number,
        sex, ethnic_group, send, end_age_band, imd_decile
    ) as report_key,
        episode_days
    from episode_closures
    where end_date between $start and $end and closure_reason <> 'transfer'
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
        and not ($by = 'area' and period_tables_apply($hub, $service, $start, $end))
),

-- By area for a financial year or quarter, without a hub or service filter: the medians
-- taken at ingest (area_closure_medians). Each area within the place filters; the families
-- without an area (unknown) within the locality filter, or all of them, and none within an
-- area or catchment filter.
stored_medians as (
    select
        report_label($by, area_number) as report_group,
        episodes as n,
        median_days
    from area_closure_medians
    where $by = 'area' and period_tables_apply($hub, $service, $start, $end)
        and period_start = $start and period_end = $end
        and (
            area_number is not null
            and not all_localities
            and in_filter(locality_id, $locality)
            and in_filter(area_number, $area_number)
            and in_filter(catchment_number, $catchment_number)
            or area_number is null
            and $area_number is null and $catchment_number is null
            and if($locality is null, all_localities, locality_id = $locality)
        )
),

-- By a place (many groups): median() per group.
group_medians as (
    select
        report_label($by, report_key) as report_group,
        count(*) as n,
        median(episode_days)::double as median_days
    from closed_in_period
    where $by in ('locality', 'hub', 'catchment', 'area')
    group by report_key
),

-- The whole authority (the scorecard's case) and each group of a child attribute (a few
-- groups): the same median, read from the count of episodes of each length in the group.
-- Few groups by few lengths fit a perfect hash table: about half the time of median()
-- (bench/design-measurements.md). The median is the mean of the lengths at positions
-- (n + 1) // 2 and n // 2 + 1, which are one position when n is odd.
length_counts as (
    select
        report_key,
        episode_days,
        count(*) as n
    from closed_in_period
    where $by not in ('locality', 'hub', 'catchment', 'area')
    group by report_key, episode_days
),

running_counts as (
    select
        report_key,
        episode_days,
        sum(n) over (
            partition by report_key order by episode_days rows unbounded preceding
        ) as up_to,
        sum(n) over (partition by report_key) as total
    from length_counts
),

count_medians as (
    select
        report_label($by, report_key) as report_group,
        any_value(total) as n,
        (
            min(episode_days) filter (where up_to >= (total + 1) // 2)
            + min(episode_days) filter (where up_to >= total // 2 + 1)
        ) / 2 as median_days
    from running_counts
    group by report_key
),

medians as (
    select * from group_medians
    union all
    select * from count_medians
    union all
    select * from stored_medians
),

final as (
    select
        'median_episode_days' as metric,
        coalesce(report_groups.report_group, medians.report_group) as "group",
        null::bigint as numerator,
        coalesce(medians.n, 0)::bigint as denominator,
        medians.median_days::double as value
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join medians on report_groups.report_group = medians.report_group
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
