-- reference_localities: the localities, with their 0-19 population in the latest year loaded.
-- grain: one row per locality
-- columns: locality_id, locality_name, population_year, population
-- parameters: none
with

latest as (
    select
        locality_id,
        max(year) as year
    from population
    group by locality_id
)

select
    localities.locality_id,
    localities.locality_name,
    latest.year as population_year,
    sum(population.population) as population
from localities
left join latest on localities.locality_id = latest.locality_id
left join population
    on latest.locality_id = population.locality_id and latest.year = population.year
group by all
order by localities.locality_id
