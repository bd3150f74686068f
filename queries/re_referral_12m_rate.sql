-- re_referral_12m_rate: of requests received in the period, the share whose child had another
-- request received earlier (same day allowed, ordered by date then id) and no more than 12
-- calendar months before (DfE Children in Need re-referral rule; flag derived at ingest).
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown'
--        when present)
-- columns: metric, group, numerator, denominator, value (numerator ÷ denominator, a share
--          from 0 to 1; null when the denominator is 0)
-- parameters: $start, $end (dates, both inclusive), $by (a breakdown: docs/metrics.md);
--             filters $locality, $area_number, $catchment_number, $hub (null = all)
with

in_period as (
    select
        report_key(
        $by, locality_number, hub_number, catchment_number, area_number,
        sex, ethnic_group, send, age_band, imd_decile
    ) as report_key,
        is_re_referral_12m as is_counted
    from request_facts
    where received_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
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
        're_referral_12m_rate' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.numerator, 0) as numerator,
        coalesce(counts.denominator, 0) as denominator,
        counts.numerator / nullif(counts.denominator, 0) as value
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
