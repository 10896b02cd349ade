-- The catalogue now comes from a GeoNames extract shipped in the repository
-- (app/data/cities.tsv.gz): city ids are GeoNames ids, and each city has its population, which
-- ranks search results.

alter table cities add column population integer not null default 0
    constraint cities_population_nonnegative check (population >= 0);

-- A catalogue replaced by a newer extract moves every home to the nearest new city in the same
-- transaction, so the reference to the old city may dangle until commit.
alter table players drop constraint players_home_city_id_fkey,
    add constraint players_home_city_id_fkey foreign key (home_city_id) references cities (id)
        deferrable initially immediate;

create or replace view city_places as
select c.id as city_id,
       c.name as city,
       r.id as region_id,
       r.name as region,
       co.code as country_code,
       co.name as country,
       c.lat,
       c.lon,
       c.population
from cities c
join regions r on r.id = c.region_id
join countries co on co.code = r.country_code;

-- The city a person at a position would name as home, and its great-circle distance in
-- kilometres: among the cities at most 10 km farther than the nearest one, the one with the
-- most people for its distance (population / (km + 1)^2). So a position in central Lagos is
-- Lagos, not the suburb whose centre happens to be closest, while a town with a big city 15 km
-- away stays itself. The GiST index orders candidates by planar distance in degrees; the 64
-- closest are ranked by great-circle distance, which planar distance distorts away from the
-- equator.
create function snap_to_city(lat double precision, lon double precision,
                             out city_id integer, out km double precision)
language sql stable as $$
    with candidates as (
        select c.id, c.population,
               2 * 6371.0 * asin(sqrt(
                   power(sin(radians(c.lat - snap_to_city.lat) / 2), 2)
                   + cos(radians(snap_to_city.lat)) * cos(radians(c.lat))
                     * power(sin(radians(c.lon - snap_to_city.lon) / 2), 2))) as km
        from (select id, lat, lon, population from cities
              order by point(cities.lon, cities.lat) <-> point(snap_to_city.lon, snap_to_city.lat)
              limit 64) c
    )
    select id, km from candidates
    where km <= (select min(km) from candidates) + 10
    order by greatest(population, 1) / power(km + 1, 2) desc, km
    limit 1
$$;
