-- The place catalogue: countries, first-level regions and cities with their centres, loaded
-- at start from the GeoNames extract embedded in the server (see app/src/backend/places).

create table countries (
    code text primary key constraint countries_code_format check (code ~ '^[A-Z]{2}$'),
    name text not null,
    lat double precision not null,
    lon double precision not null
);

create table regions (
    id integer primary key,
    country_code text not null references countries (code),
    name text not null,
    lat double precision not null,
    lon double precision not null,
    constraint regions_country_name_key unique (country_code, name)
);

create table cities (
    id integer primary key,
    region_id integer not null references regions (id),
    name text not null,
    lat double precision not null,
    lon double precision not null
);

-- Nearest-city search: a k-nearest-neighbour scan on (lon, lat), refined by great-circle
-- distance in the query.
create index cities_position_idx on cities using gist (point(lon, lat));
-- Type-ahead search by name prefix.
create index cities_name_prefix_idx on cities (lower(name) text_pattern_ops);
create index regions_name_prefix_idx on regions (lower(name) text_pattern_ops);
create index cities_region_idx on cities (region_id);

-- One row once the catalogue is loaded: which extract, how many cities.
create table place_catalogue (
    singleton boolean primary key default true constraint place_catalogue_singleton check (singleton),
    source text not null,
    cities integer not null,
    loaded_at timestamptz not null default now()
);

-- A city with its region and country: what a player's home is shown as.
create view city_places as
select c.id as city_id,
       c.name as city,
       r.id as region_id,
       r.name as region,
       co.code as country_code,
       co.name as country,
       c.lat,
       c.lon
from cities c
join regions r on r.id = c.region_id
join countries co on co.code = r.country_code;
