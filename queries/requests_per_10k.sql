-- requests_per_10k: requests received in the period per 10,000 resident children aged 0-19.
-- Population: each locality's mid-year estimate (ages 0-19 summed) for the calendar year in
-- which the period starts, or that locality's latest earlier year if that year is missing;
-- the authority's population is the sum over localities. By hub (or with a hub filter)
-- there is no rate.
-- grain: one row per report group ('all'; or each locality / hub, plus 'unknown' when present)
-- columns: metric, group, numerator (requests), denominator (population aged 0-19),
--          value (numerator ÷ denominator × 10,000; null with no population or by hub)
-- parameters: $start, $end (dates, both inclusive), $by ('none' | 'locality' | 'hub');
--             filters $locality, $hub (null = all)
with

in_period as (
    select report_key($by, locality_id, hub_id) as report_key
    from request_facts
    where received_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
),

counts as (
    select
        report_label($by, report_key) as report_group,
        count(*) as n
    from in_period
    group by report_key
),

population_year as (
    select
        locality_id,
        max(year) as year
    from population
    where year <= year($start::date)
    group by locality_id
),

locality_population as (
    select
        population.locality_id,
        sum(population.population) as population
    from population
    inner join population_year
        on
            population.locality_id = population_year.locality_id
            and population.year = population_year.year
    group by population.locality_id
),

group_population as (
    select
        report_group($by, locality_id, null) as report_group,
        sum(population) as population
    from locality_population
    -- no rate by hub or within one hub: a hub has no resident population
    where $by <> 'hub' and $hub is null and in_filter(locality_id, $locality)
    group by report_group($by, locality_id, null)
),

final as (
    select
        'requests_per_10k' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.n, 0) as numerator,
        group_population.population::bigint as denominator,
        coalesce(counts.n, 0) / nullif(group_population.population, 0) * 10000 as value
    from report_groups($by, $locality, $hub) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
    left join group_population
        on coalesce(report_groups.report_group, counts.report_group)
        = group_population.report_group
)

select * from final
order by "group" = 'unknown', "group"
