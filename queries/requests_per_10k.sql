-- requests_per_10k: requests received in the period per 10,000 resident children aged 0-19.
-- Population: each locality's mid-year estimate (ages 0-19 summed) for the calendar year in
-- which the period starts, or that locality's latest earlier year if that year is missing;
-- the authority's population is the sum over localities. By hub (or with a hub filter)
-- there is no rate.
-- grain: one row per period asked for and report group ('all'; or each locality / hub, plus
--        'unknown' when present)
-- columns: period (1, 2, … in the order asked), metric, group, numerator (requests),
--          denominator (population aged 0-19), value (numerator ÷ denominator × 10,000; null
--          with no population or by hub)
-- parameters: $starts, $ends (lists of dates: period n runs from $starts[n] to $ends[n],
--             both inclusive; periods may overlap), $by ('none' | 'locality' | 'hub');
--             filters $locality, $hub (null = all)
with

-- The metric's rows within the span of the periods asked.
in_span as not materialized (
    select
        received_date as day,
        report_key($by, locality_id, hub_id) as report_key
    from request_facts
    where received_date between list_min($starts) and list_max($ends)
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
),

-- One period (most calls): its rows counted directly.
one_period as (
    select
        1 as period,
        report_label($by, report_key) as report_group,
        count(*) as n
    from in_span
    where len($starts) = 1
    group by report_key
),

-- Several periods (a trend): rows counted by day once, then each period sums its days.
by_day as (
    select
        day,
        report_key,
        count(*) as n
    from in_span
    where len($starts) > 1
    group by day, report_key
),

several_periods as (
    select
        period_days.period,
        report_label($by, by_day.report_key) as report_group,
        sum(by_day.n)::bigint as n
    from by_day
    inner join period_days($starts, $ends) as period_days on by_day.day = period_days.day
    group by period_days.period, by_day.report_key
),

counts as (
    select * from one_period
    union all
    select * from several_periods
),

locality_years as (
    select
        locality_id,
        year,
        sum(population) as population
    from population
    group by locality_id, year
),

-- Each period's year for each locality: the latest on or before the year it starts.
population_year as (
    select
        asked.period,
        locality_years.locality_id,
        max(locality_years.year) as year
    from periods_asked($starts, $ends) as asked
    inner join locality_years on locality_years.year <= year(asked.start_day)
    group by asked.period, locality_years.locality_id
),

locality_population as (
    select
        population_year.period,
        locality_years.locality_id,
        locality_years.population
    from population_year
    inner join locality_years
        on
            population_year.locality_id = locality_years.locality_id
            and population_year.year = locality_years.year
),

group_population as (
    select
        period,
        report_group($by, locality_id, null) as report_group,
        sum(population) as population
    from locality_population
    -- no rate by hub or within one hub: a hub has no resident population
    where $by <> 'hub' and $hub is null and in_filter(locality_id, $locality)
    group by period, report_group($by, locality_id, null)
),

final as (
    select
        coalesce(expected.period, counts.period) as period,
        'requests_per_10k' as metric,
        coalesce(expected.report_group, counts.report_group) as "group",
        coalesce(counts.n, 0) as numerator,
        group_population.population::bigint as denominator,
        coalesce(counts.n, 0) / nullif(group_population.population, 0) * 10000 as value
    from period_groups($starts, $ends, $by, $locality, $hub) as expected
    full outer join counts
        on expected.period = counts.period and expected.report_group = counts.report_group
    left join group_population
        on
            coalesce(expected.period, counts.period) = group_population.period
            and coalesce(expected.report_group, counts.report_group)
            = group_population.report_group
)

select * from final
order by period, "group" = 'unknown', "group"
