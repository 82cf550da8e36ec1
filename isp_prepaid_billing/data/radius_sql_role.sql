-- FreeRADIUS' role in SQL mode (README, "FreeRADIUS"): it reads the views of
-- the radius schema and writes radius.radacct, nothing else. Roles belong to
-- the whole PostgreSQL cluster, so name it after the database. Run on the Odoo
-- database as a superuser (or a role with CREATEROLE that owns the schema):
--
--   psql -d DB -v role=DB_radius -v password=SECRET -f radius_sql_role.sql
--
-- (scripts/radius-sql-role.sh does this). Running it again changes the
-- password and gives the rights again.
\set ON_ERROR_STOP on
SELECT format('CREATE ROLE %I', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format(
    'ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT '
    'NOREPLICATION NOBYPASSRLS PASSWORD %L', :'role', :'password') \gexec
-- FreeRADIUS' stock queries name the tables without a schema.
SELECT format('ALTER ROLE %I IN DATABASE %I SET search_path = radius',
              :'role', current_database()) \gexec
-- A query that hangs must not hold a FreeRADIUS thread for long.
SELECT format('ALTER ROLE %I IN DATABASE %I SET statement_timeout = %L',
              :'role', current_database(), '5s') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I',
              current_database(), :'role') \gexec
-- PostgreSQL 15's default, which databases made from an older template lack:
-- only the owner (Odoo's user) creates objects in schema public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT radius.isp_grant(:'role') \g /dev/null
