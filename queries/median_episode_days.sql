-- median_episode_days: median of end_date - start_date in days over the episodes closed in the
-- period (transfer closures excluded). With an even count it is the mean of the middle two.
-- grain: one row per report group ('all'; or each locality / hub, plus 'unknown' when present)
-- columns: metric, group, numerator (null), denominator (episodes the median is taken over),
--          value (median days; null when no episode closed)
-- parameters: $start, $end (dates, both inclusive), $by ('none' | 'locality' | 'hub');
--             filters $locality, $hub, $service (null = all)
with

closed_in_period as (
    select
        report_group($by, locality_id, hub_id) as report_group,
        episode_days
    from episode_facts
    where end_date between $start and $end and closure_reason <> 'transfer'
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

medians as (
    select
        report_group,
        count(*) as n,
        median(episode_days) as median_days
    from closed_in_period
    group by report_group
),

final as (
    select
        'median_episode_days' as metric,
        coalesce(report_groups.report_group, medians.report_group) as "group",
        null::bigint as numerator,
        coalesce(medians.n, 0) as denominator,
        medians.median_days::double as value
    from report_groups($by, $locality, $hub) as report_groups
    full outer join medians on report_groups.report_group = medians.report_group
)

select * from final
order by "group" = 'unknown', "group"
