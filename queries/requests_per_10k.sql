-- requests_per_10k: requests received in the period per 10,000 resident children aged 0-19.
-- Population: the mid-year estimate for the calendar year in which the period starts, or the
-- latest earlier year where that year is missing (per locality, per small area, per group of
-- population_groups). By locality: that locality's population.csv rows; the
-- authority: the sum over localities; by age band: the ages in the band (unborn has none); by
-- catchment and area: population_areas.csv summed over the areas concerned; by sex and ethnic
-- group: population_groups.csv (the authority's, so none within a locality filter). Within a
-- small-area or catchment filter, every group's population is population_areas.csv summed over
-- the areas in the filter (so no rate by age band, sex or ethnic group there). No rate by hub,
-- SEND or IMD decile, for 'unknown', within a hub filter, or where the population was not
-- supplied.
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown'
--        when present)
-- columns: metric, group, numerator (requests), denominator (population aged 0-19),
--          value (numerator ÷ denominator × 10,000; null without a population)
-- parameters: $start, $end (dates, both inclusive), $by (a breakdown: docs/metrics.md);
--             filters $locality, $area_number, $catchment_number, $hub (null = all); the same
--             small area and catchment by code, $area and $catchment, for the populations
with

in_period as (
    select report_key(
        $by, locality_number, hub_number, catchment_number, area_number,
        sex, ethnic_group, send, age_band, imd_decile
    ) as report_key
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
        count(*) as n
    from in_period
    group by report_key
),

locality_year as (
    select
        locality_id,
        max(year) as year
    from population
    where year <= year($start::date)
    group by locality_id
),

-- population.csv rows of the year each locality uses, within the locality filter
locality_rows as (
    select
        population.locality_id,
        population.age,
        population.population
    from population
    inner join locality_year
        on
            population.locality_id = locality_year.locality_id
            and population.year = locality_year.year
    where in_filter(population.locality_id, $locality)
),

area_year as (
    select
        area_code,
        max(year) as year
    from area_populations
    where year <= year($start::date)
    group by area_code
),

-- area_populations (derive_child_places): the ages already summed
area_rows as (
    select
        area_populations.locality_id,
        area_populations.area_code,
        area_populations.hub_id,
        area_populations.population
    from area_populations
    inner join area_year
        on
            area_populations.area_code = area_year.area_code
            and area_populations.year = area_year.year
    where in_filter(area_populations.locality_id, $locality)
        and in_filter(area_populations.area_code, $area)
        and in_filter(area_populations.hub_id, $catchment)
),

group_year as (
    select
        dimension,
        "group",
        max(year) as year
    from population_groups
    where year <= year($start::date)
    group by dimension, "group"
),

group_population as (
    select
        'all' as report_group,
        sum(population) as population
    from locality_rows
    where $by = 'none'
    -- a sum over no rows is still one row: the condition on the filters goes in having
    having $area is null and $catchment is null
    union all
    select
        locality_id,
        sum(population)
    from locality_rows
    where $by = 'locality' and $area is null and $catchment is null
    group by locality_id
    union all
    -- within a small-area or catchment filter: the areas in it
    select
        'all',
        sum(population)
    from area_rows
    where $by = 'none'
    having $area is not null or $catchment is not null
    union all
    select
        locality_id,
        sum(population)
    from area_rows
    where $by = 'locality' and ($area is not null or $catchment is not null)
    group by locality_id
    union all
    select
        case
            when age = 0 then 'under_1'
            when age <= 4 then '1_4'
            when age <= 9 then '5_9'
            when age <= 15 then '10_15'
            else '16_plus'
        end,
        sum(population)
    from locality_rows
    where $by = 'age_band' and $area is null and $catchment is null
    group by all
    union all
    select
        hub_id,
        sum(population)
    from area_rows
    where $by = 'catchment' and hub_id is not null
    group by hub_id
    union all
    select
        area_code,
        population
    from area_rows
    where $by = 'area'
    union all
    select
        population_groups."group",
        population_groups.population
    from population_groups
    inner join group_year
        on
            population_groups.dimension = group_year.dimension
            and population_groups."group" = group_year."group"
            and population_groups.year = group_year.year
    where $by in ('sex', 'ethnic_group')
        and population_groups.dimension = $by
        and $locality is null and $area is null and $catchment is null
),

final as (
    select
        'requests_per_10k' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.n, 0) as numerator,
        group_population.population::bigint as denominator,
        coalesce(counts.n, 0) / nullif(group_population.population, 0) * 10000 as value
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
    -- a hub has no resident population, so within a hub filter there is no rate
    left join group_population
        on coalesce(report_groups.report_group, counts.report_group)
        = group_population.report_group
        and $hub is null
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
