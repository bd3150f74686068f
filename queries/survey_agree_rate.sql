-- survey_agree_rate: of survey responses in the period, the share scoring 4 or 5 (agree or
-- strongly agree). Locality is the responding hub's locality.
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown'
--        when present)
-- columns: metric, group, numerator, denominator, value (numerator ÷ denominator, a share
--          from 0 to 1; null when the denominator is 0)
-- parameters: $start, $end (dates, both inclusive), $by (a breakdown: docs/metrics.md);
--             filters $locality, $hub (null = all)
with

in_period as (
    select
        report_key(
            $by, locality_number, hub_number, null, null, null, null, null, null, null
        ) as report_key,
        is_agree as is_counted
    from survey_facts
    where response_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
),

counts as (
    select
        report_label($by, report_key) as report_group,
        count_if(is_counted) as numerator,
        count(*) as denominator
    from in_period
    group by report_key
),

final as (
    select
        'survey_agree_rate' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.numerator, 0) as numerator,
        coalesce(counts.denominator, 0) as denominator,
        counts.numerator / nullif(counts.denominator, 0) as value
    -- survey answers have no family, so no small area or catchment filter
    from report_groups($by, $locality, $hub, null, null) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
