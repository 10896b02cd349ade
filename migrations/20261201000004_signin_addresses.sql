-- Failed sign-ins are counted per handle and client address (and per address), so an
-- attacker's address is refused rather than the victim's handle locked.
alter table signin_failures
    add column id bigint generated always as identity primary key,
    add column address inet;

create index signin_failures_address_at_idx on signin_failures (address, at);
